-- Case notes (domain.md §4): internal notes are concierge-only, shared notes
-- are seen by the owner side too; the clarification loop is a pair of shared
-- notes. Notes are never edited or deleted: they are the case's record.
CREATE TABLE case_notes (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations(id),
  case_id         uuid NOT NULL,
  audience        text NOT NULL CHECK (audience IN ('INTERNAL', 'SHARED')),
  kind            text NOT NULL CHECK (kind IN ('GENERAL', 'CLARIFICATION_REQUEST', 'CLARIFICATION_RESPONSE', 'DECISION_RATIONALE')),
  body            text NOT NULL CHECK (length(body) BETWEEN 1 AND 10000),
  author_id       uuid NOT NULL REFERENCES users(id),
  author_kind     text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (organization_id, id),
  FOREIGN KEY (organization_id, case_id) REFERENCES cases (organization_id, id),
  -- Clarifications are asked of and answered by the owner: never internal.
  CONSTRAINT case_notes_clarifications_shared CHECK (kind NOT IN ('CLARIFICATION_REQUEST', 'CLARIFICATION_RESPONSE') OR audience = 'SHARED')
);
CREATE INDEX case_notes_case_idx ON case_notes (organization_id, case_id, created_at, id);

ALTER TABLE case_notes ENABLE ROW LEVEL SECURITY;
ALTER TABLE case_notes FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON case_notes
  USING (organization_id = (SELECT NULLIF(current_setting('hestami.org_id', true), '')::uuid))
  WITH CHECK (organization_id = (SELECT NULLIF(current_setting('hestami.org_id', true), '')::uuid));

GRANT SELECT, INSERT ON case_notes TO hestami_app;

-- hestami_case_assignable reports whether p_user may be assigned cases of the
-- active organization: a CONCIERGE_STAFF or CONCIERGE_LEAD of a platform
-- operator that organization actively engages. The operator's memberships
-- are another tenant's rows, so the runtime role reaches them only through
-- this question, and only about its own active organization.
CREATE FUNCTION hestami_case_assignable(p_user uuid) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT EXISTS (
    SELECT 1 FROM concierge_engagements e
    JOIN organizations op ON op.id = e.operator_org_id AND op.type = 'PLATFORM_OPERATOR'
    JOIN memberships m ON m.organization_id = e.operator_org_id AND m.user_id = p_user
    WHERE e.organization_id = (SELECT NULLIF(current_setting('hestami.org_id', true), '')::uuid)
      AND e.status = 'ACTIVE' AND m.role IN ('CONCIERGE_STAFF', 'CONCIERGE_LEAD'))
$$;
REVOKE ALL ON FUNCTION hestami_case_assignable(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION hestami_case_assignable(uuid) TO hestami_app;
