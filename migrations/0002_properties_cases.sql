-- Properties, concierge cases, their status history and the activity log.
CREATE TABLE properties (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations(id),
  name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  type            text NOT NULL CHECK (type IN ('SINGLE_FAMILY', 'CONDO', 'TOWNHOUSE', 'MULTI_FAMILY', 'LAND', 'COMMERCIAL', 'OTHER')),
  address_line1   text NOT NULL,
  address_line2   text NOT NULL DEFAULT '',
  city            text NOT NULL,
  region          text NOT NULL DEFAULT '',
  postal_code     text NOT NULL DEFAULT '',
  country         text NOT NULL CHECK (length(country) = 2),
  hoa_context_id  uuid,
  active          boolean NOT NULL DEFAULT true,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (organization_id, id)
);
CREATE INDEX properties_org_name_idx ON properties (organization_id, name, id);

CREATE TABLE case_counters (
  organization_id uuid NOT NULL REFERENCES organizations(id),
  year            int  NOT NULL,
  last_number     int  NOT NULL,
  PRIMARY KEY (organization_id, year)
);

CREATE TABLE cases (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id    uuid NOT NULL REFERENCES organizations(id),
  property_id        uuid NOT NULL,
  number             text NOT NULL,
  title              text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  description        text NOT NULL DEFAULT '',
  category           text NOT NULL CHECK (category IN ('MAINTENANCE', 'REPAIR', 'IMPROVEMENT', 'COMPLIANCE', 'HOA_APPROVAL', 'VENDOR_QUOTE', 'DISPUTE', 'INQUIRY', 'EMERGENCY', 'OTHER')),
  priority           text NOT NULL CHECK (priority IN ('LOW', 'NORMAL', 'HIGH', 'URGENT', 'EMERGENCY')),
  status             text NOT NULL DEFAULT 'INTAKE' CHECK (status IN ('INTAKE', 'ASSESSMENT', 'IN_PROGRESS', 'PENDING_EXTERNAL', 'PENDING_OWNER', 'ON_HOLD', 'RESOLVED', 'CLOSED', 'CANCELLED')),
  origin_intent_id   uuid,
  assignee_id        uuid REFERENCES users(id),
  due_at             timestamptz,
  resolution_summary text NOT NULL DEFAULT '',
  close_reason       text NOT NULL DEFAULT '',
  cancel_reason      text NOT NULL DEFAULT '',
  created_by         uuid NOT NULL REFERENCES users(id),
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  status_changed_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (organization_id, number),
  FOREIGN KEY (organization_id, property_id) REFERENCES properties (organization_id, id)
);
CREATE INDEX cases_org_created_idx ON cases (organization_id, created_at DESC, id DESC);
CREATE INDEX cases_org_status_idx ON cases (organization_id, status, created_at DESC, id DESC);

CREATE TABLE case_status_history (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  organization_id uuid NOT NULL REFERENCES organizations(id),
  case_id         uuid NOT NULL REFERENCES cases(id),
  from_status     text,
  to_status       text NOT NULL,
  reason          text NOT NULL DEFAULT '',
  actor_kind      text NOT NULL CHECK (actor_kind IN ('HUMAN', 'AI', 'SYSTEM')),
  actor_id        uuid NOT NULL,
  changed_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX case_status_history_case_idx ON case_status_history (case_id, id);

-- Append-only: the runtime role may insert and read, never update or delete.
CREATE TABLE activity_events (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  organization_id uuid NOT NULL REFERENCES organizations(id),
  entity_type     text NOT NULL,
  entity_id       uuid NOT NULL,
  verb            text NOT NULL,
  actor_kind      text NOT NULL CHECK (actor_kind IN ('HUMAN', 'AI', 'SYSTEM')),
  actor_id        uuid NOT NULL,
  before          jsonb,
  after           jsonb,
  trace_id        text NOT NULL DEFAULT '',
  span_id         text NOT NULL DEFAULT '',
  occurred_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX activity_events_entity_idx ON activity_events (organization_id, entity_type, entity_id, id);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['properties', 'case_counters', 'cases', 'case_status_history', 'activity_events'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format($p$CREATE POLICY tenant_isolation ON %I
      USING (organization_id = (SELECT NULLIF(current_setting('hestami.org_id', true), '')::uuid))
      WITH CHECK (organization_id = (SELECT NULLIF(current_setting('hestami.org_id', true), '')::uuid))$p$, t);
  END LOOP;
END $$;

GRANT SELECT, INSERT, UPDATE ON properties, case_counters, cases TO hestami_app;
GRANT SELECT, INSERT ON case_status_history, activity_events TO hestami_app;
