-- Ownership records on properties (domain.md §1): who owns a property, in
-- which role, with which share, from when to when.
CREATE TABLE ownerships (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations(id),
  property_id     uuid NOT NULL,
  -- The party is a user of hestami or an external person known by name.
  party_user_id   uuid REFERENCES users(id),
  party_name      text CHECK (length(party_name) BETWEEN 1 AND 200),
  party_email     text CHECK (party_email IS NULL OR (length(party_email) <= 254 AND position('@' in party_email) > 1)),
  role            text NOT NULL CHECK (role IN ('OWNER', 'CO_OWNER', 'TRUSTEE_MANAGER')),
  status          text NOT NULL CHECK (status IN ('ACTIVE', 'PENDING_VERIFICATION', 'SUSPENDED', 'TERMINATED')),
  percentage      numeric(5, 2) CHECK (percentage > 0 AND percentage <= 100),
  effective_from  date NOT NULL DEFAULT current_date,
  effective_to    date,
  created_by      uuid NOT NULL REFERENCES users(id),
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (organization_id, id),
  FOREIGN KEY (organization_id, property_id) REFERENCES properties (organization_id, id),
  CONSTRAINT ownerships_one_party CHECK ((party_user_id IS NULL) <> (party_name IS NULL)),
  CONSTRAINT ownerships_email_of_external CHECK (party_email IS NULL OR party_name IS NOT NULL),
  CONSTRAINT ownerships_dates CHECK (effective_to IS NULL OR effective_to >= effective_from)
);
CREATE INDEX ownerships_property_idx ON ownerships (organization_id, property_id, status);
CREATE INDEX ownerships_org_created_idx ON ownerships (organization_id, created_at, id);
-- A user holds one live record per property and role.
CREATE UNIQUE INDEX ownerships_live_user_role_idx ON ownerships (organization_id, property_id, party_user_id, role)
  WHERE party_user_id IS NOT NULL AND status <> 'TERMINATED';

-- The last wall behind the service's checks: the active percentages of a
-- property sum to at most 100, and the last ACTIVE OWNER does not stop being
-- one. Both read the property's other records, so a concurrent write could
-- slip past a plain check; the trigger locks the property row first (every
-- ownership write of the service takes the same lock before anything else),
-- and in READ COMMITTED its queries then run on a snapshot taken after the
-- lock was granted, so they see every write committed before it. NO KEY
-- UPDATE rather than UPDATE: it excludes the other ownership writers all the
-- same, but not the KEY SHARE lock each insert's foreign-key check already
-- holds on the property, which would deadlock two inserters.
CREATE FUNCTION ownerships_check_property() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  org uuid := COALESCE(NEW.organization_id, OLD.organization_id);
  prop uuid := COALESCE(NEW.property_id, OLD.property_id);
  total numeric;
BEGIN
  PERFORM 1 FROM properties WHERE organization_id = org AND id = prop FOR NO KEY UPDATE;
  SELECT COALESCE(sum(percentage), 0) INTO total FROM ownerships
    WHERE organization_id = org AND property_id = prop AND status = 'ACTIVE';
  IF total > 100 THEN
    RAISE EXCEPTION 'the active percentages of property % sum to %', prop, total
      USING ERRCODE = 'check_violation', CONSTRAINT = 'ownerships_active_percentage_total';
  END IF;
  IF TG_OP <> 'INSERT' AND OLD.role = 'OWNER' AND OLD.status = 'ACTIVE'
     AND NOT EXISTS (SELECT 1 FROM ownerships
                     WHERE organization_id = org AND property_id = OLD.property_id AND role = 'OWNER' AND status = 'ACTIVE') THEN
    RAISE EXCEPTION 'property % would have no active OWNER', OLD.property_id
      USING ERRCODE = 'integrity_constraint_violation', CONSTRAINT = 'ownerships_last_active_owner';
  END IF;
  RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER ownerships_check_property AFTER INSERT OR UPDATE OR DELETE ON ownerships
  FOR EACH ROW EXECUTE FUNCTION ownerships_check_property();

ALTER TABLE ownerships ENABLE ROW LEVEL SECURITY;
ALTER TABLE ownerships FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON ownerships
  USING (organization_id = (SELECT NULLIF(current_setting('hestami.org_id', true), '')::uuid))
  WITH CHECK (organization_id = (SELECT NULLIF(current_setting('hestami.org_id', true), '')::uuid));

-- No DELETE: removal is the TERMINATED status, so the record stays.
GRANT SELECT, INSERT, UPDATE ON ownerships TO hestami_app;
