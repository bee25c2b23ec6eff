-- Identity and tenancy: organizations, users, memberships, engagements, API tokens.
-- The runtime role is created here without SUPERUSER or BYPASSRLS and owns nothing.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'hestami_app') THEN
    CREATE ROLE hestami_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT;
  END IF;
END $$;

GRANT USAGE ON SCHEMA public TO hestami_app;

CREATE TABLE organizations (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  type       text NOT NULL CHECK (type IN ('INDIVIDUAL_PROPERTY_OWNER', 'TRUST_OR_LLC', 'COMMUNITY_ASSOCIATION', 'SERVICE_PROVIDER', 'PLATFORM_OPERATOR')),
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email        text NOT NULL UNIQUE CHECK (position('@' in email) > 1),
  display_name text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
  created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE memberships (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations(id),
  user_id         uuid NOT NULL REFERENCES users(id),
  role            text NOT NULL CHECK (role IN ('OWNER', 'CO_OWNER', 'TRUSTEE_MANAGER', 'DELEGATED_AGENT', 'CONCIERGE_STAFF', 'CONCIERGE_LEAD', 'PLATFORM_ADMIN')),
  created_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (organization_id, user_id, role)
);
CREATE INDEX memberships_user_idx ON memberships (user_id);

-- An owner organization (organization_id) engages the platform operator.
CREATE TABLE concierge_engagements (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations(id),
  operator_org_id uuid NOT NULL REFERENCES organizations(id),
  status          text NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'ENDED')),
  started_at      timestamptz NOT NULL DEFAULT now(),
  ended_at        timestamptz,
  CHECK (organization_id <> operator_org_id)
);
CREATE UNIQUE INDEX concierge_engagements_active_idx ON concierge_engagements (organization_id, operator_org_id) WHERE status = 'ACTIVE';

CREATE TABLE api_tokens (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id      uuid NOT NULL REFERENCES users(id),
  name         text NOT NULL DEFAULT '',
  token_hash   bytea NOT NULL UNIQUE,
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL,
  revoked_at   timestamptz
);

-- Tenant isolation. The active organization is a transaction-local setting;
-- the (SELECT ...) wrapper makes PostgreSQL evaluate it once per statement and
-- NULLIF turns the '' a pooled session reads after a local setting ends into NULL.
ALTER TABLE organizations ENABLE ROW LEVEL SECURITY;
ALTER TABLE organizations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON organizations
  USING (id = (SELECT NULLIF(current_setting('hestami.org_id', true), '')::uuid));

ALTER TABLE memberships ENABLE ROW LEVEL SECURITY;
ALTER TABLE memberships FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON memberships
  USING (organization_id = (SELECT NULLIF(current_setting('hestami.org_id', true), '')::uuid))
  WITH CHECK (organization_id = (SELECT NULLIF(current_setting('hestami.org_id', true), '')::uuid));

ALTER TABLE concierge_engagements ENABLE ROW LEVEL SECURITY;
ALTER TABLE concierge_engagements FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON concierge_engagements
  USING (organization_id = (SELECT NULLIF(current_setting('hestami.org_id', true), '')::uuid))
  WITH CHECK (organization_id = (SELECT NULLIF(current_setting('hestami.org_id', true), '')::uuid));

-- users and api_tokens hold no tenant data; the runtime role has no grant on
-- them and reaches them only through the two functions below.
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
ALTER TABLE api_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_tokens FORCE ROW LEVEL SECURITY;

GRANT SELECT ON organizations, memberships, concierge_engagements TO hestami_app;

-- hestami_authenticate returns the user behind a valid (unrevoked, unexpired) token.
CREATE FUNCTION hestami_authenticate(p_token_hash bytea)
RETURNS TABLE (user_id uuid, token_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT t.user_id, t.id FROM api_tokens t
  WHERE t.token_hash = p_token_hash AND t.revoked_at IS NULL AND t.expires_at > now()
$$;

-- hestami_principal returns what user may be in organization org: its own
-- memberships there, plus the platform roles it holds in an operator
-- organization that org actively engages. Nothing else crosses tenants.
CREATE FUNCTION hestami_principal(p_user_id uuid, p_org_id uuid)
RETURNS TABLE (org_type text, roles text[], engaged boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  WITH own AS (
    SELECT m.role FROM memberships m WHERE m.user_id = p_user_id AND m.organization_id = p_org_id
  ), via_engagement AS (
    SELECT m.role FROM concierge_engagements e
    JOIN organizations op ON op.id = e.operator_org_id AND op.type = 'PLATFORM_OPERATOR'
    JOIN memberships m ON m.organization_id = e.operator_org_id AND m.user_id = p_user_id
    WHERE e.organization_id = p_org_id AND e.status = 'ACTIVE'
      AND m.role IN ('CONCIERGE_STAFF', 'CONCIERGE_LEAD', 'PLATFORM_ADMIN')
  )
  SELECT o.type,
         ARRAY(SELECT role FROM own UNION SELECT role FROM via_engagement ORDER BY 1),
         EXISTS (SELECT 1 FROM via_engagement)
  FROM organizations o WHERE o.id = p_org_id
$$;

-- hestami_user_ref resolves a user id or e-mail (for `--as`).
CREATE FUNCTION hestami_user_ref(p_ref text)
RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT u.id FROM users u WHERE u.email = lower(p_ref) OR u.id::text = lower(p_ref) LIMIT 1
$$;

REVOKE ALL ON FUNCTION hestami_authenticate(bytea), hestami_principal(uuid, uuid), hestami_user_ref(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION hestami_authenticate(bytea), hestami_principal(uuid, uuid), hestami_user_ref(text) TO hestami_app;
