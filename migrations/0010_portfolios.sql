-- Portfolios (domain.md §2): named groups of an organization's properties. A
-- property may be in several portfolios, so membership is a join table; it
-- is tenant data like any other (organization_id, RLS forced) and points at
-- both parents by (organization_id, id), so a membership can never join a
-- portfolio of one tenant to a property of another.
CREATE TABLE portfolios (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations(id),
  name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  description     text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
  created_by      uuid NOT NULL REFERENCES users(id),
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (organization_id, id)
);
CREATE INDEX portfolios_org_name_idx ON portfolios (organization_id, name, id);

CREATE TABLE portfolio_properties (
  organization_id uuid NOT NULL REFERENCES organizations(id),
  portfolio_id    uuid NOT NULL,
  property_id     uuid NOT NULL,
  added_by        uuid NOT NULL REFERENCES users(id),
  added_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (organization_id, portfolio_id, property_id),
  FOREIGN KEY (organization_id, portfolio_id) REFERENCES portfolios (organization_id, id),
  FOREIGN KEY (organization_id, property_id) REFERENCES properties (organization_id, id)
);
-- "Which portfolios hold this property" and the foreign key's lookups.
CREATE INDEX portfolio_properties_property_idx ON portfolio_properties (organization_id, property_id);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['portfolios', 'portfolio_properties'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format($p$CREATE POLICY tenant_isolation ON %I
      USING (organization_id = (SELECT NULLIF(current_setting('hestami.org_id', true), '')::uuid))
      WITH CHECK (organization_id = (SELECT NULLIF(current_setting('hestami.org_id', true), '')::uuid))$p$, t);
  END LOOP;
END $$;

GRANT SELECT, INSERT, UPDATE ON portfolios TO hestami_app;
-- Removing a property from a portfolio deletes its membership row.
GRANT SELECT, INSERT, DELETE ON portfolio_properties TO hestami_app;

-- Summaries count the open cases of a set of properties.
CREATE INDEX cases_org_property_idx ON cases (organization_id, property_id);
