package cmdutil

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hestami/concierge/internal/enum"
)

// enumValue is a flag that accepts only the values of an enum set (one, or
// with many a comma-separated list).
type enumValue[T ~string] struct {
	set    *enum.Set[T]
	one    *T
	many   *[]T
	isList bool
}

func (v *enumValue[T]) String() string {
	if v.isList {
		parts := make([]string, len(*v.many))
		for i, x := range *v.many {
			parts[i] = string(x)
		}
		return strings.Join(parts, ",")
	}
	return string(*v.one)
}

func (v *enumValue[T]) Set(s string) error {
	if !v.isList {
		if !v.set.Contains(s) {
			return fmt.Errorf("must be one of %s", v.set.Help())
		}
		*v.one = T(s)
		return nil
	}
	for _, part := range strings.Split(s, ",") {
		if !v.set.Contains(part) {
			return fmt.Errorf("%q must be one of %s", part, v.set.Help())
		}
		*v.many = append(*v.many, T(part))
	}
	return nil
}

func (v *enumValue[T]) Type() string {
	if v.isList {
		return "list"
	}
	return "value"
}

// EnumVar defines the flag name holding one value of set (default value, ""
// for none). Its help lists the values and the shell completes them, both
// read from the set's one declaration.
func EnumVar[T ~string](cmd *cobra.Command, p *T, name string, value T, set *enum.Set[T], usage string) {
	EnumVarCompleted(cmd, p, name, value, set, usage, staticCompletion(set.Strings()))
}

// EnumVarCompleted is EnumVar whose shell completion is suggest, for a flag
// whose useful values depend on more than the set (the statuses a case can
// move to from its own).
func EnumVarCompleted[T ~string](cmd *cobra.Command, p *T, name string, value T, set *enum.Set[T], usage string, suggest cobra.CompletionFunc) {
	*p = value
	cmd.Flags().Var(&enumValue[T]{set: set, one: p}, name, usage+": "+set.Help())
	_ = cmd.RegisterFlagCompletionFunc(name, suggest)
}

// EnumSliceVar defines the flag name holding a comma-separated list of
// values of set.
func EnumSliceVar[T ~string](cmd *cobra.Command, p *[]T, name string, set *enum.Set[T], usage string) {
	cmd.Flags().Var(&enumValue[T]{set: set, many: p, isList: true}, name, usage+" (comma-separated): "+set.Help())
	_ = cmd.RegisterFlagCompletionFunc(name, staticCompletion(set.Strings()))
}

func staticCompletion(values []string) cobra.CompletionFunc {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return values, cobra.ShellCompDirectiveNoFileComp
	}
}
