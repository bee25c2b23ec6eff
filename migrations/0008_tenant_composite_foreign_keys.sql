-- Every child row references its parent by (organization_id, id), so a row
-- can never point into another tenant even if a statement names a foreign
-- id (RLS hides other tenants' rows but does not stop a foreign key from
-- matching them). Foreign keys to organizations (the tenant root) and to
-- users (not tenant data) stay single-column.
ALTER TABLE cases ADD CONSTRAINT cases_organization_id_id_key UNIQUE (organization_id, id);

ALTER TABLE case_status_history DROP CONSTRAINT case_status_history_case_id_fkey;
ALTER TABLE case_status_history ADD CONSTRAINT case_status_history_organization_id_case_id_fkey
  FOREIGN KEY (organization_id, case_id) REFERENCES cases (organization_id, id);

