-- Concierge actions on cases (domain.md §6): the work staff plan and perform
-- on a case, each through its own small state machine. A case cannot be
-- resolved while one of its actions is open (internal/cases applies that rule
-- in the status transaction).
CREATE TABLE case_actions (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations(id),
  case_id         uuid NOT NULL,
  type            text NOT NULL CHECK (type IN ('PHONE_CALL', 'EMAIL', 'DOCUMENT_REVIEW', 'RESEARCH', 'VENDOR_CONTACT',
                    'HOA_CONTACT', 'SCHEDULING', 'APPROVAL_REQUEST', 'FOLLOW_UP', 'ESCALATION', 'OTHER')),
  title           text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  description     text NOT NULL DEFAULT '',
  status          text NOT NULL DEFAULT 'PLANNED' CHECK (status IN ('PLANNED', 'IN_PROGRESS', 'BLOCKED', 'COMPLETED', 'CANCELLED')),
  planned_at      timestamptz,
  -- What a BLOCKED action waits on; only a BLOCKED action has it.
  blocked_on      text NOT NULL DEFAULT '',
  outcome         text NOT NULL DEFAULT '',
  cancel_reason   text NOT NULL DEFAULT '',
  performed_by    uuid REFERENCES users(id),
  created_by      uuid NOT NULL REFERENCES users(id),
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  completed_at    timestamptz,
  UNIQUE (organization_id, id),
  FOREIGN KEY (organization_id, case_id) REFERENCES cases (organization_id, id),
  CONSTRAINT case_actions_completed_outcome CHECK (status <> 'COMPLETED' OR (length(btrim(outcome)) > 0 AND completed_at IS NOT NULL)),
  CONSTRAINT case_actions_blocked_on CHECK ((status = 'BLOCKED') = (length(btrim(blocked_on)) > 0))
);
CREATE INDEX case_actions_case_idx ON case_actions (organization_id, case_id, created_at, id);
-- The resolve rule counts a case's open actions.
CREATE INDEX case_actions_open_idx ON case_actions (organization_id, case_id)
  WHERE status IN ('PLANNED', 'IN_PROGRESS', 'BLOCKED');

ALTER TABLE case_actions ENABLE ROW LEVEL SECURITY;
ALTER TABLE case_actions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON case_actions
  USING (organization_id = (SELECT NULLIF(current_setting('hestami.org_id', true), '')::uuid))
  WITH CHECK (organization_id = (SELECT NULLIF(current_setting('hestami.org_id', true), '')::uuid));

-- No DELETE: an action ends CANCELLED and stays on the case's record.
GRANT SELECT, INSERT, UPDATE ON case_actions TO hestami_app;
