-- External HOA context (domain.md §7): what is known of a property's
-- homeowners' association (contacts, portal), the rules recorded from its
-- documents (each citing a document and a page; never assumed complete or
-- correct), and the approvals a case needs from it, each with its own state
-- machine (internal/hoa).
CREATE TABLE hoa_contexts (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations(id),
  property_id     uuid NOT NULL,
  name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  -- [{name, role, email, phone}], as known; internal/hoa validates the shape.
  contacts        jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(contacts) = 'array'),
  portal_url      text NOT NULL DEFAULT '',
  portal_notes    text NOT NULL DEFAULT '',
  created_by      uuid NOT NULL REFERENCES users(id),
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (organization_id, id),
  -- Rules and approvals reference a context together with its property, so
  -- that the property they carry for the PDP is the context's own.
  UNIQUE (organization_id, id, property_id),
  FOREIGN KEY (organization_id, property_id) REFERENCES properties (organization_id, id)
);
-- One context per HOA name and property: a second would split its rules.
CREATE UNIQUE INDEX hoa_contexts_name_idx ON hoa_contexts (organization_id, property_id, lower(name));
CREATE INDEX hoa_contexts_org_created_idx ON hoa_contexts (organization_id, created_at, id);

CREATE TABLE hoa_rules (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations(id),
  context_id      uuid NOT NULL,
  property_id     uuid NOT NULL,
  category        text NOT NULL CHECK (category IN ('ARCHITECTURAL', 'LANDSCAPING', 'RENTAL', 'PARKING', 'PETS', 'NOISE',
                    'MAINTENANCE', 'FEES', 'OTHER')),
  text            text NOT NULL CHECK (length(btrim(text)) BETWEEN 1 AND 10000),
  -- The document the rule was read from. No foreign key yet: the documents
  -- table arrives in a parallel migration; the composite reference
  -- (organization_id, document_id) → documents is added once both exist.
  document_id     uuid NOT NULL,
  page            integer NOT NULL CHECK (page >= 1),
  created_by      uuid NOT NULL REFERENCES users(id),
  created_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (organization_id, id),
  FOREIGN KEY (organization_id, context_id, property_id) REFERENCES hoa_contexts (organization_id, id, property_id)
);
CREATE INDEX hoa_rules_context_idx ON hoa_rules (organization_id, context_id, created_at, id);

CREATE TABLE hoa_approvals (
  id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id       uuid NOT NULL REFERENCES organizations(id),
  case_id               uuid NOT NULL,
  context_id            uuid NOT NULL,
  property_id           uuid NOT NULL,
  type                  text NOT NULL CHECK (type IN ('ARCHITECTURAL', 'LANDSCAPING', 'RENTAL', 'OTHER')),
  -- EXPIRED is stored when the HOA let a submission lapse; an approval past
  -- its expires_at is read as EXPIRED without being written (internal/hoa).
  status                text NOT NULL CHECK (status IN ('NOT_REQUIRED', 'PENDING', 'SUBMITTED', 'APPROVED',
                          'APPROVED_WITH_CONDITIONS', 'DENIED', 'EXPIRED')),
  description           text NOT NULL DEFAULT '',
  reference_number      text NOT NULL DEFAULT '',
  conditions            text NOT NULL DEFAULT '',
  decision_notes        text NOT NULL DEFAULT '',
  submitted_at          timestamptz,
  decided_at            timestamptz,
  expires_at            timestamptz,
  -- Evidence documents (the application, the HOA's letter). No foreign key
  -- yet, for the reason given on hoa_rules.document_id.
  evidence_document_ids uuid[] NOT NULL DEFAULT '{}',
  created_by            uuid NOT NULL REFERENCES users(id),
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now(),
  UNIQUE (organization_id, id),
  FOREIGN KEY (organization_id, case_id) REFERENCES cases (organization_id, id),
  FOREIGN KEY (organization_id, context_id, property_id) REFERENCES hoa_contexts (organization_id, id, property_id),
  CONSTRAINT hoa_approvals_conditions CHECK ((status = 'APPROVED_WITH_CONDITIONS') = (length(btrim(conditions)) > 0)),
  CONSTRAINT hoa_approvals_submitted CHECK (status IN ('NOT_REQUIRED', 'PENDING') OR submitted_at IS NOT NULL),
  CONSTRAINT hoa_approvals_decided CHECK ((status IN ('APPROVED', 'APPROVED_WITH_CONDITIONS', 'DENIED', 'EXPIRED')) = (decided_at IS NOT NULL)),
  CONSTRAINT hoa_approvals_expiry CHECK (expires_at IS NULL OR status IN ('APPROVED', 'APPROVED_WITH_CONDITIONS'))
);
CREATE INDEX hoa_approvals_case_idx ON hoa_approvals (organization_id, case_id, created_at, id);
CREATE INDEX hoa_approvals_org_created_idx ON hoa_approvals (organization_id, created_at, id);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['hoa_contexts', 'hoa_rules', 'hoa_approvals'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format($p$CREATE POLICY tenant_isolation ON %I
      USING (organization_id = (SELECT NULLIF(current_setting('hestami.org_id', true), '')::uuid))
      WITH CHECK (organization_id = (SELECT NULLIF(current_setting('hestami.org_id', true), '')::uuid))$p$, t);
  END LOOP;
END $$;

-- No DELETE: a context, a rule or an approval stays on the record (rules are
-- never assumed complete, and an approval's history is the case's).
GRANT SELECT, INSERT, UPDATE ON hoa_contexts, hoa_approvals TO hestami_app;
GRANT SELECT, INSERT ON hoa_rules TO hestami_app;
