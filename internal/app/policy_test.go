package app_test

import (
	"io/fs"
	"slices"
	"sort"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/hestami/concierge/internal/app"
	"github.com/hestami/concierge/policies"
)

// policyActions reads every resource policy and returns resource kind →
// the actions its rules name.
func policyActions(t *testing.T) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	err := fs.WalkDir(policies.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(policies.FS, path)
		if err != nil {
			return err
		}
		var doc struct {
			ResourcePolicy *struct {
				Resource string `yaml:"resource"`
				Rules    []struct {
					Actions []string `yaml:"actions"`
				} `yaml:"rules"`
			} `yaml:"resourcePolicy"`
		}
		if err := yaml.Unmarshal(b, &doc); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if doc.ResourcePolicy == nil {
			return nil
		}
		for _, r := range doc.ResourcePolicy.Rules {
			for _, a := range r.Actions {
				if a == "*" {
					t.Errorf("%s: a wildcard action hides what is allowed; name every action", path)
				}
				if !slices.Contains(out[doc.ResourcePolicy.Resource], a) {
					out[doc.ResourcePolicy.Resource] = append(out[doc.ResourcePolicy.Resource], a)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Every PDP action a procedure declares exists in the policy of its
// resource (else the PDP denies it forever), and every action a policy
// grants is declared by some procedure (else it is dead policy that nobody
// tests through the API).
func TestDeclaredActionsAndPolicyActionsMatch(t *testing.T) {
	t.Parallel()
	inPolicy := policyActions(t)
	declared := map[string][]string{}
	for _, p := range app.Declarations().All() {
		for _, a := range p.Actions {
			if !slices.Contains(inPolicy[p.Resource], a) {
				t.Errorf("%s asks the PDP for %q on %q, which no policy rule names", p.Path(), a, p.Resource)
			}
			if !slices.Contains(declared[p.Resource], a) {
				declared[p.Resource] = append(declared[p.Resource], a)
			}
		}
	}
	for resource, actions := range inPolicy {
		for _, a := range actions {
			if !slices.Contains(declared[resource], a) {
				t.Errorf("policy %q grants %q, which no procedure declares", resource, a)
			}
		}
	}
	kinds := make([]string, 0, len(inPolicy))
	for k := range inPolicy {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	if len(kinds) == 0 {
		t.Fatal("no resource policies found")
	}
}
