-- Case participants (domain.md §4): the people a case involves, each with a
-- role on it — a user of the platform (an owner-side member of the case's
-- organization, or concierge staff of an operator it engages) or an external
-- contact (a tenant, a vendor's or the HOA's contact) known by name only.
-- A user participant keeps the display name it had when it was added: the
-- runtime role cannot read users, and the case records who was involved.
CREATE TABLE case_participants (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id   uuid NOT NULL REFERENCES organizations(id),
  case_id           uuid NOT NULL,
  role              text NOT NULL CHECK (role IN ('OWNER_CONTACT', 'TENANT', 'VENDOR_CONTACT', 'HOA_CONTACT', 'STAFF', 'OTHER')),
  user_id           uuid REFERENCES users(id),
  name              text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
  email             text NOT NULL DEFAULT '' CHECK (email = '' OR (length(email) <= 320 AND position('@' in email) > 1)),
  phone             text NOT NULL DEFAULT '' CHECK (length(phone) <= 50),
  organization_name text NOT NULL DEFAULT '' CHECK (length(organization_name) <= 200),
  added_by          uuid NOT NULL REFERENCES users(id),
  added_at          timestamptz NOT NULL DEFAULT now(),
  UNIQUE (organization_id, id),
  FOREIGN KEY (organization_id, case_id) REFERENCES cases (organization_id, id),
  -- A user's contact details are the user's own: only external contacts
  -- carry them here.
  CONSTRAINT case_participants_user_or_contact CHECK (user_id IS NULL OR (email = '' AND phone = '' AND organization_name = ''))
);
-- The same user holds a role on a case once.
CREATE UNIQUE INDEX case_participants_user_role_key ON case_participants (organization_id, case_id, user_id, role) WHERE user_id IS NOT NULL;
CREATE INDEX case_participants_case_idx ON case_participants (organization_id, case_id, added_at, id);

ALTER TABLE case_participants ENABLE ROW LEVEL SECURITY;
ALTER TABLE case_participants FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON case_participants
  USING (organization_id = (SELECT NULLIF(current_setting('hestami.org_id', true), '')::uuid))
  WITH CHECK (organization_id = (SELECT NULLIF(current_setting('hestami.org_id', true), '')::uuid));

GRANT SELECT, INSERT, DELETE ON case_participants TO hestami_app;

-- hestami_case_participant_name returns the display name of p_user if p_user
-- may take part in cases of the active organization — a member of it, or
-- concierge staff, lead or admin of an operator it actively engages — and
-- NULL otherwise. Users and the operator's memberships are beyond the
-- runtime role's reach; this answers only that question, only about its own
-- active organization.
CREATE FUNCTION hestami_case_participant_name(p_user uuid) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT u.display_name FROM users u
  WHERE u.id = p_user AND (
    EXISTS (SELECT 1 FROM memberships m
      WHERE m.user_id = p_user AND m.organization_id = (SELECT NULLIF(current_setting('hestami.org_id', true), '')::uuid))
    OR EXISTS (SELECT 1 FROM concierge_engagements e
      JOIN organizations op ON op.id = e.operator_org_id AND op.type = 'PLATFORM_OPERATOR'
      JOIN memberships m ON m.organization_id = e.operator_org_id AND m.user_id = p_user
      WHERE e.organization_id = (SELECT NULLIF(current_setting('hestami.org_id', true), '')::uuid)
        AND e.status = 'ACTIVE' AND m.role IN ('CONCIERGE_STAFF', 'CONCIERGE_LEAD', 'PLATFORM_ADMIN')))
$$;
REVOKE ALL ON FUNCTION hestami_case_participant_name(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION hestami_case_participant_name(uuid) TO hestami_app;
