-- External vendor coordination (domain.md §8): vendors of an organization,
-- quotes on a case (with line items), scheduled visits and invoices.
--
-- A quote's EXPIRED is never stored: a RECEIVED or UNDER_REVIEW quote whose
-- valid_until has passed reads as EXPIRED at that instant (every reader
-- compares with now()), so no job has to run and an expired quote can
-- never be accepted.
--
-- document_id columns name a document of the documents table (built in
-- parallel, migration 0019) WITHOUT a foreign key for now: the composite
-- (organization_id, document_id) reference is added by a later migration
-- once both have merged.
CREATE TABLE vendors (
  id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id         uuid NOT NULL REFERENCES organizations(id),
  name                    text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
  trades                  text[] NOT NULL DEFAULT '{}' CHECK (cardinality(trades) <= 20),
  -- [{name, role, phone, email}], validated by the service.
  contacts                jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(contacts) = 'array'),
  license_notes           text NOT NULL DEFAULT '' CHECK (length(license_notes) <= 2000),
  insurance_notes         text NOT NULL DEFAULT '' CHECK (length(insurance_notes) <= 2000),
  notes                   text NOT NULL DEFAULT '' CHECK (length(notes) <= 10000),
  -- The registered SERVICE_PROVIDER organization this vendor is, when it
  -- has one (the migration path to Phase 2). Not a tenant reference: the
  -- vendor row stays the owner organization's own.
  service_provider_org_id uuid REFERENCES organizations(id),
  created_by              uuid NOT NULL REFERENCES users(id),
  created_at              timestamptz NOT NULL DEFAULT now(),
  updated_at              timestamptz NOT NULL DEFAULT now(),
  UNIQUE (organization_id, id)
);
CREATE INDEX vendors_org_name_idx ON vendors (organization_id, lower(name), id);

-- Quotes: first-class records on a case. scope_key is the part of the case
-- the quote is for ('' is the whole case): at most one quote per case and
-- scope is ACCEPTED, enforced by the unique index quotes_one_accepted.
CREATE TABLE quotes (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations(id),
  case_id         uuid NOT NULL,
  vendor_id       uuid NOT NULL,
  scope_key       text NOT NULL DEFAULT '' CHECK (length(scope_key) <= 100),
  amount          numeric NOT NULL CHECK (amount >= 0 AND amount < 1e12 AND scale(amount) <= 2),
  currency        text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  scope           text NOT NULL DEFAULT '' CHECK (length(scope) <= 10000),
  valid_until     timestamptz,
  status          text NOT NULL DEFAULT 'RECEIVED' CHECK (status IN ('RECEIVED', 'UNDER_REVIEW', 'ACCEPTED', 'REJECTED', 'WITHDRAWN')),
  document_id     uuid, -- no FK yet: see the head of this file
  decided_at      timestamptz,
  decided_by      uuid REFERENCES users(id),
  -- The rationale of an accept, the reason of a reject or withdrawal.
  decision_reason text NOT NULL DEFAULT '' CHECK (length(decision_reason) <= 10000),
  created_by      uuid NOT NULL REFERENCES users(id),
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (organization_id, id),
  FOREIGN KEY (organization_id, case_id) REFERENCES cases (organization_id, id),
  FOREIGN KEY (organization_id, vendor_id) REFERENCES vendors (organization_id, id),
  CONSTRAINT quotes_decided CHECK ((status IN ('ACCEPTED', 'REJECTED', 'WITHDRAWN')) = (decided_at IS NOT NULL))
);
CREATE INDEX quotes_case_idx ON quotes (organization_id, case_id, created_at, id);
CREATE UNIQUE INDEX quotes_one_accepted ON quotes (organization_id, case_id, scope_key) WHERE status = 'ACCEPTED';

-- A quote's line items; line_total is computed, exact.
CREATE TABLE quote_line_items (
  organization_id uuid NOT NULL,
  quote_id        uuid NOT NULL,
  position        integer NOT NULL CHECK (position BETWEEN 1 AND 200),
  description     text NOT NULL CHECK (length(btrim(description)) BETWEEN 1 AND 500),
  quantity        numeric NOT NULL CHECK (quantity > 0 AND quantity < 1e9 AND scale(quantity) <= 3),
  unit_price      numeric NOT NULL CHECK (unit_price >= 0 AND unit_price < 1e12 AND scale(unit_price) <= 2),
  line_total      numeric GENERATED ALWAYS AS (quantity * unit_price) STORED,
  PRIMARY KEY (organization_id, quote_id, position),
  FOREIGN KEY (organization_id, quote_id) REFERENCES quotes (organization_id, id)
);

-- Scheduled vendor visits on a case.
CREATE TABLE vendor_schedules (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations(id),
  case_id         uuid NOT NULL,
  vendor_id       uuid NOT NULL,
  quote_id        uuid,
  window_start    timestamptz NOT NULL,
  window_end      timestamptz NOT NULL,
  notes           text NOT NULL DEFAULT '' CHECK (length(notes) <= 10000),
  status          text NOT NULL DEFAULT 'SCHEDULED' CHECK (status IN ('SCHEDULED', 'DONE', 'CANCELLED')),
  outcome         text NOT NULL DEFAULT '' CHECK (length(outcome) <= 10000),
  created_by      uuid NOT NULL REFERENCES users(id),
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (organization_id, id),
  FOREIGN KEY (organization_id, case_id) REFERENCES cases (organization_id, id),
  FOREIGN KEY (organization_id, vendor_id) REFERENCES vendors (organization_id, id),
  FOREIGN KEY (organization_id, quote_id) REFERENCES quotes (organization_id, id),
  CONSTRAINT vendor_schedules_window CHECK (window_end > window_start)
);
CREATE INDEX vendor_schedules_case_idx ON vendor_schedules (organization_id, case_id, window_start, id);

-- Invoices, linked to the quote they bill where there is one.
CREATE TABLE invoices (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations(id),
  case_id         uuid NOT NULL,
  vendor_id       uuid NOT NULL,
  quote_id        uuid,
  reference       text NOT NULL DEFAULT '' CHECK (length(reference) <= 100),
  amount          numeric NOT NULL CHECK (amount >= 0 AND amount < 1e12 AND scale(amount) <= 2),
  currency        text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  due_date        date,
  status          text NOT NULL DEFAULT 'RECEIVED' CHECK (status IN ('RECEIVED', 'APPROVED', 'PAID', 'DISPUTED')),
  document_id     uuid, -- no FK yet: see the head of this file
  approved_at     timestamptz,
  approved_by     uuid REFERENCES users(id),
  paid_at         timestamptz,
  paid_by         uuid REFERENCES users(id),
  disputed_at     timestamptz,
  disputed_by     uuid REFERENCES users(id),
  dispute_reason  text NOT NULL DEFAULT '' CHECK (length(dispute_reason) <= 10000),
  created_by      uuid NOT NULL REFERENCES users(id),
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (organization_id, id),
  FOREIGN KEY (organization_id, case_id) REFERENCES cases (organization_id, id),
  FOREIGN KEY (organization_id, vendor_id) REFERENCES vendors (organization_id, id),
  FOREIGN KEY (organization_id, quote_id) REFERENCES quotes (organization_id, id),
  CONSTRAINT invoices_approved CHECK (status NOT IN ('APPROVED', 'PAID') OR approved_at IS NOT NULL),
  CONSTRAINT invoices_paid CHECK ((status = 'PAID') = (paid_at IS NOT NULL)),
  CONSTRAINT invoices_disputed CHECK ((status = 'DISPUTED') = (disputed_at IS NOT NULL))
);
CREATE INDEX invoices_case_idx ON invoices (organization_id, case_id, created_at, id);
CREATE INDEX invoices_quote_idx ON invoices (organization_id, quote_id) WHERE quote_id IS NOT NULL;

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['vendors', 'quotes', 'quote_line_items', 'vendor_schedules', 'invoices'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format($p$CREATE POLICY tenant_isolation ON %I
      USING (organization_id = (SELECT NULLIF(current_setting('hestami.org_id', true), '')::uuid))
      WITH CHECK (organization_id = (SELECT NULLIF(current_setting('hestami.org_id', true), '')::uuid))$p$, t);
  END LOOP;
END $$;

-- Whether id is a registered SERVICE_PROVIDER organization: the one fact
-- about another tenant a vendor link needs (organizations are tenant rows
-- the runtime role cannot read across).
CREATE FUNCTION hestami_service_provider(p_org uuid) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT EXISTS (SELECT 1 FROM organizations WHERE id = p_org AND type = 'SERVICE_PROVIDER')
$$;
REVOKE ALL ON FUNCTION hestami_service_provider(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION hestami_service_provider(uuid) TO hestami_app;

-- No DELETE: quotes, visits and invoices end in a status and stay on the
-- case's record; line items are written once with their quote.
GRANT SELECT, INSERT, UPDATE ON vendors, quotes, vendor_schedules, invoices TO hestami_app;
GRANT SELECT, INSERT ON quote_line_items TO hestami_app;
