-- Owner intents (domain.md §3): an owner's request in their own words, the
-- classifier's proposal (a recommendation, kept as produced), the human
-- override kept apart from it, and the link to the case it became.
CREATE TABLE intents (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id    uuid NOT NULL REFERENCES organizations(id),
  property_id        uuid NOT NULL,
  title              text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  text               text NOT NULL CHECK (length(text) BETWEEN 1 AND 10000),
  status             text NOT NULL DEFAULT 'DRAFT'
                       CHECK (status IN ('DRAFT', 'SUBMITTED', 'ACKNOWLEDGED', 'CONVERTED', 'DECLINED', 'WITHDRAWN')),
  -- Constraints of the request.
  budget_amount      numeric(14, 2) CHECK (budget_amount > 0),
  budget_currency    text CHECK (budget_currency ~ '^[A-Z]{3}$'),
  preferred_from     date,
  preferred_to       date,
  access_notes       text NOT NULL DEFAULT '' CHECK (length(access_notes) <= 2000),
  -- The classifier's proposal, whole (cues included), with what produced it.
  proposal           jsonb,
  proposed_category  text CHECK (proposed_category IN ('MAINTENANCE', 'REPAIR', 'IMPROVEMENT', 'COMPLIANCE', 'HOA_APPROVAL',
                       'VENDOR_QUOTE', 'DISPUTE', 'INQUIRY', 'EMERGENCY', 'OTHER')),
  proposed_priority  text CHECK (proposed_priority IN ('LOW', 'NORMAL', 'HIGH', 'URGENT', 'EMERGENCY')),
  classifier         text,
  classifier_version text,
  proposed_at        timestamptz,
  -- The human override, never written over the proposal.
  override_category  text CHECK (override_category IN ('MAINTENANCE', 'REPAIR', 'IMPROVEMENT', 'COMPLIANCE', 'HOA_APPROVAL',
                       'VENDOR_QUOTE', 'DISPUTE', 'INQUIRY', 'EMERGENCY', 'OTHER')),
  override_priority  text CHECK (override_priority IN ('LOW', 'NORMAL', 'HIGH', 'URGENT', 'EMERGENCY')),
  override_reason    text NOT NULL DEFAULT '' CHECK (length(override_reason) <= 2000),
  override_by        uuid REFERENCES users(id),
  override_at        timestamptz,
  case_id            uuid,
  status_reason      text NOT NULL DEFAULT '' CHECK (length(status_reason) <= 2000),
  created_by         uuid NOT NULL REFERENCES users(id),
  submitted_by       uuid REFERENCES users(id),
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  status_changed_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (organization_id, id),
  FOREIGN KEY (organization_id, property_id) REFERENCES properties (organization_id, id),
  FOREIGN KEY (organization_id, case_id) REFERENCES cases (organization_id, id),
  CONSTRAINT intents_budget_whole CHECK ((budget_amount IS NULL) = (budget_currency IS NULL)),
  CONSTRAINT intents_preferred_dates CHECK (preferred_to IS NULL OR preferred_from IS NULL OR preferred_to >= preferred_from),
  -- A converted intent names its case, and only a converted one does.
  CONSTRAINT intents_case_iff_converted CHECK ((status = 'CONVERTED') = (case_id IS NOT NULL)),
  CONSTRAINT intents_proposal_whole CHECK ((proposal IS NULL) = (classifier IS NULL) AND (proposal IS NULL) = (proposed_category IS NULL))
);
-- One case per intent, from either side: the last wall behind the row lock
-- that conversion takes.
CREATE UNIQUE INDEX intents_case_idx ON intents (case_id) WHERE case_id IS NOT NULL;
CREATE UNIQUE INDEX cases_origin_intent_idx ON cases (origin_intent_id) WHERE origin_intent_id IS NOT NULL;
CREATE INDEX intents_org_created_idx ON intents (organization_id, created_at, id);
CREATE INDEX intents_property_idx ON intents (organization_id, property_id, status);

ALTER TABLE cases ADD CONSTRAINT cases_origin_intent_fkey
  FOREIGN KEY (organization_id, origin_intent_id) REFERENCES intents (organization_id, id);

ALTER TABLE intents ENABLE ROW LEVEL SECURITY;
ALTER TABLE intents FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON intents
  USING (organization_id = (SELECT NULLIF(current_setting('hestami.org_id', true), '')::uuid))
  WITH CHECK (organization_id = (SELECT NULLIF(current_setting('hestami.org_id', true), '')::uuid));

-- No DELETE: a withdrawn or declined intent stays, with its status.
GRANT SELECT, INSERT, UPDATE ON intents TO hestami_app;
