-- Delegated authority (domain.md §1): an owner grants a user (a member of
-- the organization with the DELEGATED_AGENT role) authority of some types
-- over some properties, optionally up to a monetary limit and until an
-- expiry. The grant is inert until the delegate accepts it.
--
-- EXPIRED is never stored: a grant whose expires_at has passed reads as
-- EXPIRED at that instant (every reader compares with now()), so no job has
-- to run for an expiry to take effect.
CREATE TABLE delegations (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id  uuid NOT NULL REFERENCES organizations(id),
  grantor_id       uuid NOT NULL REFERENCES users(id),
  delegate_id      uuid NOT NULL REFERENCES users(id),
  authority_types  text[] NOT NULL CHECK (
    cardinality(authority_types) BETWEEN 1 AND 6
    AND authority_types <@ ARRAY['MAINTENANCE_APPROVAL', 'VENDOR_SELECTION', 'DOCUMENT_ACCESS',
                                 'CASE_MANAGEMENT', 'FINANCIAL_DECISIONS', 'FULL_AUTHORITY']::text[]),
  -- Exact decimal with its currency, or no limit at all. Unconstrained
  -- numeric keeps the scale it was given ("5000.00" reads back as such).
  limit_amount     numeric CHECK (limit_amount > 0 AND limit_amount < 1e12 AND scale(limit_amount) <= 4),
  limit_currency   text CHECK (limit_currency ~ '^[A-Z]{3}$'),
  expires_at       timestamptz,
  status           text NOT NULL CHECK (status IN ('PENDING_ACCEPTANCE', 'ACTIVE', 'REVOKED')),
  note             text NOT NULL DEFAULT '' CHECK (length(note) <= 2000),
  granted_at       timestamptz NOT NULL DEFAULT now(),
  accepted_at      timestamptz,
  revoked_at       timestamptz,
  revoked_by       uuid REFERENCES users(id),
  revoke_reason    text NOT NULL DEFAULT '' CHECK (length(revoke_reason) <= 2000),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  UNIQUE (organization_id, id),
  CONSTRAINT delegations_limit_has_currency CHECK ((limit_amount IS NULL) = (limit_currency IS NULL)),
  CONSTRAINT delegations_not_to_self CHECK (grantor_id <> delegate_id),
  CONSTRAINT delegations_accepted CHECK (status <> 'ACTIVE' OR accepted_at IS NOT NULL),
  CONSTRAINT delegations_revoked CHECK ((status = 'REVOKED') = (revoked_at IS NOT NULL))
);
CREATE INDEX delegations_delegate_idx ON delegations (organization_id, delegate_id, status);
CREATE INDEX delegations_org_created_idx ON delegations (organization_id, granted_at, id);

-- The properties a grant covers (at least one: the service inserts them in
-- the grant's transaction).
CREATE TABLE delegation_properties (
  organization_id uuid NOT NULL,
  delegation_id   uuid NOT NULL,
  property_id     uuid NOT NULL,
  PRIMARY KEY (organization_id, delegation_id, property_id),
  FOREIGN KEY (organization_id, delegation_id) REFERENCES delegations (organization_id, id),
  FOREIGN KEY (organization_id, property_id) REFERENCES properties (organization_id, id)
);
CREATE INDEX delegation_properties_property_idx ON delegation_properties (organization_id, property_id);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['delegations', 'delegation_properties'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format($p$CREATE POLICY tenant_isolation ON %I
      USING (organization_id = (SELECT NULLIF(current_setting('hestami.org_id', true), '')::uuid))
      WITH CHECK (organization_id = (SELECT NULLIF(current_setting('hestami.org_id', true), '')::uuid))$p$, t);
  END LOOP;
END $$;

-- No DELETE: a revoked grant stays as the record of what was allowed when.
GRANT SELECT, INSERT, UPDATE ON delegations TO hestami_app;
GRANT SELECT, INSERT ON delegation_properties TO hestami_app;
