-- The references migrations 0019 (documents), 0020 (HOA) and 0021 (vendors)
-- left as plain uuids because their tables were built in parallel: now that
-- they coexist, each becomes a composite (organization_id, …) reference, so
-- no row can name a record that does not exist or that belongs to another
-- tenant. The services check each reference first and answer with a field
-- error; these constraints are the last wall.
--
-- Every parent already has UNIQUE (organization_id, id): documents (0019),
-- hoa_contexts (0020), vendors (0021).

ALTER TABLE hoa_rules
  ADD CONSTRAINT hoa_rules_organization_id_document_id_fkey
  FOREIGN KEY (organization_id, document_id) REFERENCES documents (organization_id, id);

ALTER TABLE quotes
  ADD CONSTRAINT quotes_organization_id_document_id_fkey
  FOREIGN KEY (organization_id, document_id) REFERENCES documents (organization_id, id);

ALTER TABLE invoices
  ADD CONSTRAINT invoices_organization_id_document_id_fkey
  FOREIGN KEY (organization_id, document_id) REFERENCES documents (organization_id, id);

ALTER TABLE documents
  ADD CONSTRAINT documents_organization_id_hoa_context_id_fkey
  FOREIGN KEY (organization_id, hoa_context_id) REFERENCES hoa_contexts (organization_id, id);

ALTER TABLE documents
  ADD CONSTRAINT documents_organization_id_vendor_id_fkey
  FOREIGN KEY (organization_id, vendor_id) REFERENCES vendors (organization_id, id);

-- An array takes no foreign key: this constraint trigger refuses an
-- evidence id that names no document of the approval's organization, with
-- the foreign-key violation's SQLSTATE so it maps like the keys above. The
-- other direction needs no trigger: documents are never deleted (the
-- runtime role has no DELETE on them, 0019).
--
-- The check names the organization itself rather than relying on RLS: the
-- owner role (migrations, repairs) is not filtered the same way.
CREATE FUNCTION hoa_approvals_evidence_documents() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  missing uuid;
BEGIN
  SELECT x INTO missing FROM unnest(NEW.evidence_document_ids) x
  WHERE NOT EXISTS (SELECT 1 FROM documents d WHERE d.organization_id = NEW.organization_id AND d.id = x)
  LIMIT 1;
  IF missing IS NOT NULL THEN
    RAISE EXCEPTION 'hoa_approvals.evidence_document_ids: % names no document of organization %', missing, NEW.organization_id
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'hoa_approvals_evidence_document_ids_fkey',
            TABLE = 'hoa_approvals', COLUMN = 'evidence_document_ids';
  END IF;
  RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER hoa_approvals_evidence_document_ids_fkey
  AFTER INSERT OR UPDATE OF evidence_document_ids ON hoa_approvals
  FOR EACH ROW EXECUTE FUNCTION hoa_approvals_evidence_documents();
