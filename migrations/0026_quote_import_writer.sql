-- The bulk quote import's write path (issue 10): one function that writes a
-- chunk of validated rows into quotes and their line items.
--
-- Why a function: a quote carries five foreign keys (organization, case,
-- vendor, creator, batch), and PostgreSQL checks each one with a row-level
-- trigger, a lookup per row per key. At a million rows those lookups were
-- half of the import's time. This function checks the parents once per
-- chunk instead — every distinct case and vendor exists in the active
-- organization and is locked FOR KEY SHARE, as the triggers would lock it,
-- and the batch (whose own insert checked its organization and creator) is
-- open — and then inserts with session_replication_role = replica, which
-- skips the per-row triggers. The foreign keys stay declared: every other
-- write still goes through them, and the parents' ON DELETE side is
-- unchanged.
--
-- What replica mode skips is every ordinary trigger of the tables written
-- here; quotes and quote_line_items have none but the foreign keys', and
-- TestImportWriterTablesHaveOnlyForeignKeyTriggers fails when one is added,
-- so that whoever adds it decides how the import honours it.
--
-- Row-level security applies: the function runs as hestami_import, which
-- owns no table and cannot bypass RLS, so every read and write is
-- confined to the organization in hestami.org_id, as the runtime role's
-- would be. CHECK constraints and unique indexes apply as to any insert.
--
-- session_replication_role is a superuser setting; PostgreSQL 15 lets a
-- superuser grant it. The embedded cluster grants it to hestami_owner (with
-- grant option) when it bootstraps; an operator of an external database
-- grants it once (README). Without it the function is the same but keeps
-- the per-row triggers: correct, slower, and this migration warns.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'hestami_import') THEN
    CREATE ROLE hestami_import NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT;
  END IF;
END $$;

GRANT USAGE ON SCHEMA public TO hestami_import;
GRANT SELECT ON cases, vendors, quote_import_batches, quotes TO hestami_import;
-- Row locks (FOR KEY SHARE) need UPDATE on some column; the function
-- updates nothing.
GRANT UPDATE (updated_at) ON cases, vendors TO hestami_import;
GRANT UPDATE (status) ON quote_import_batches TO hestami_import;
GRANT INSERT ON quotes, quote_line_items TO hestami_import;

-- Writes rows p_rows of the file (arrays of one length, in file order) into
-- batch p_batch of the active organization and returns the file rows it
-- wrote. A row whose external reference is already a quote of the
-- organization (earlier in this file or before) is skipped, not written:
-- the caller reports it.
CREATE FUNCTION hestami_import_quotes(p_batch uuid, p_ids uuid[], p_rows integer[], p_refs text[],
    p_cases uuid[], p_vendors uuid[], p_amounts numeric[], p_currencies text[], p_valid_until timestamptz[],
    p_scopes text[], p_scope_keys text[], p_line_items jsonb[], p_plain_first boolean)
RETURNS SETOF integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_org uuid := NULLIF(current_setting('hestami.org_id', true), '')::uuid;
  v_by uuid;
  v_want integer;
  v_got integer;
BEGIN
  SELECT created_by INTO v_by FROM quote_import_batches
    WHERE id = p_batch AND status = 'IMPORTED' FOR KEY SHARE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'import batch % is not an open batch of the active organization', p_batch
      USING ERRCODE = 'foreign_key_violation';
  END IF;

  SELECT count(DISTINCT c) INTO v_want FROM unnest(p_cases) c;
  PERFORM 1 FROM cases WHERE id IN (SELECT DISTINCT unnest(p_cases)) FOR KEY SHARE;
  GET DIAGNOSTICS v_got = ROW_COUNT;
  IF v_got <> v_want OR array_position(p_cases, NULL) IS NOT NULL THEN
    RAISE EXCEPTION 'a row names a case that is not in the active organization'
      USING ERRCODE = 'foreign_key_violation';
  END IF;

  SELECT count(DISTINCT v) INTO v_want FROM unnest(p_vendors) v;
  PERFORM 1 FROM vendors WHERE id IN (SELECT DISTINCT unnest(p_vendors)) FOR KEY SHARE;
  GET DIAGNOSTICS v_got = ROW_COUNT;
  IF v_got <> v_want OR array_position(p_vendors, NULL) IS NOT NULL THEN
    RAISE EXCEPTION 'a row names a vendor that is not in the active organization'
      USING ERRCODE = 'foreign_key_violation';
  END IF;

  -- With p_plain_first, first as if no reference were taken: a plain
  -- insert checks each unique index once as it inserts, where ON CONFLICT
  -- looks first and then inserts (a quarter of the import's time). A taken
  -- reference rolls this back to the careful way. Each try is a
  -- subtransaction, and past 64 of them other sessions' snapshots overflow
  -- into pg_subtrans, so the caller asks for it on its first chunks only.
  IF p_plain_first AND cardinality(array_remove(p_line_items, NULL)) = 0 THEN
    BEGIN
      INSERT INTO quotes (id, organization_id, case_id, vendor_id, scope_key, amount, currency, scope, valid_until,
          created_by, external_ref, import_batch_id, import_row)
      SELECT u.id, v_org, u.case_id, u.vendor_id, u.scope_key, u.amount, u.currency, u.scope, u.valid_until, v_by, u.ref,
          p_batch, u.row_no
      FROM unnest(p_ids, p_rows, p_refs, p_cases, p_vendors, p_amounts, p_currencies, p_valid_until, p_scopes, p_scope_keys)
        AS u(id, row_no, ref, case_id, vendor_id, amount, currency, valid_until, scope, scope_key);
      RETURN QUERY SELECT unnest(p_rows);
      RETURN;
    EXCEPTION WHEN unique_violation THEN
      NULL;
    END;
  END IF;

  -- Most files carry no line items: those chunks skip the join that
  -- writes them (a third of a chunk's time when it ran for none).
  IF cardinality(array_remove(p_line_items, NULL)) = 0 THEN
    RETURN QUERY
    INSERT INTO quotes (id, organization_id, case_id, vendor_id, scope_key, amount, currency, scope, valid_until,
        created_by, external_ref, import_batch_id, import_row)
    SELECT u.id, v_org, u.case_id, u.vendor_id, u.scope_key, u.amount, u.currency, u.scope, u.valid_until, v_by, u.ref,
        p_batch, u.row_no
    FROM unnest(p_ids, p_rows, p_refs, p_cases, p_vendors, p_amounts, p_currencies, p_valid_until, p_scopes, p_scope_keys)
      AS u(id, row_no, ref, case_id, vendor_id, amount, currency, valid_until, scope, scope_key)
    ON CONFLICT (organization_id, external_ref) WHERE external_ref IS NOT NULL DO NOTHING
    RETURNING import_row;
    RETURN;
  END IF;

  RETURN QUERY
  WITH u AS (
    SELECT * FROM unnest(p_ids, p_rows, p_refs, p_cases, p_vendors, p_amounts, p_currencies, p_valid_until,
        p_scopes, p_scope_keys, p_line_items)
      AS u(id, row_no, ref, case_id, vendor_id, amount, currency, valid_until, scope, scope_key, line_items)),
  ins AS (
    INSERT INTO quotes (id, organization_id, case_id, vendor_id, scope_key, amount, currency, scope, valid_until,
        created_by, external_ref, import_batch_id, import_row)
    SELECT id, v_org, case_id, vendor_id, scope_key, amount, currency, scope, valid_until, v_by, ref, p_batch, row_no
    FROM u
    ON CONFLICT (organization_id, external_ref) WHERE external_ref IS NOT NULL DO NOTHING
    RETURNING id, import_row),
  items AS (
    INSERT INTO quote_line_items (organization_id, quote_id, position, description, quantity, unit_price)
    SELECT v_org, u.id, e.ord, e.item->>'description', (e.item->>'quantity')::numeric, (e.item->>'unitPrice')::numeric
    FROM ins JOIN u ON u.id = ins.id, jsonb_array_elements(u.line_items) WITH ORDINALITY AS e(item, ord)
    WHERE u.line_items IS NOT NULL)
  SELECT import_row FROM ins;
END $$;
REVOKE ALL ON FUNCTION hestami_import_quotes(uuid, uuid[], integer[], text[], uuid[], uuid[], numeric[], text[],
  timestamptz[], text[], text[], jsonb[], boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION hestami_import_quotes(uuid, uuid[], integer[], text[], uuid[], uuid[], numeric[], text[],
  timestamptz[], text[], text[], jsonb[], boolean) TO hestami_app;

-- The function belongs to hestami_import (so RLS binds it); handing it
-- over needs membership and, for that moment, CREATE on the schema.
GRANT hestami_import TO current_user;
GRANT CREATE ON SCHEMA public TO hestami_import;
ALTER FUNCTION hestami_import_quotes(uuid, uuid[], integer[], text[], uuid[], uuid[], numeric[], text[],
  timestamptz[], text[], text[], jsonb[], boolean) OWNER TO hestami_import;
REVOKE CREATE ON SCHEMA public FROM hestami_import;

DO $$
BEGIN
  IF has_parameter_privilege('session_replication_role', 'SET WITH GRANT OPTION') THEN
    GRANT SET ON PARAMETER session_replication_role TO hestami_import;
    ALTER FUNCTION hestami_import_quotes(uuid, uuid[], integer[], text[], uuid[], uuid[], numeric[], text[],
      timestamptz[], text[], text[], jsonb[], boolean) SET session_replication_role = replica;
  ELSE
    RAISE WARNING 'hestami_import_quotes keeps per-row foreign-key triggers (slower imports). As a superuser, run: GRANT SET ON PARAMETER session_replication_role TO hestami_import; ALTER FUNCTION hestami_import_quotes SET session_replication_role = replica;';
  END IF;
END $$;

-- A reverted file may be imported again: only one batch of a content may
-- stand imported at a time (the id of a later one counts the reverted).
ALTER TABLE quote_import_batches DROP CONSTRAINT quote_import_batches_organization_id_content_hash_key;
CREATE UNIQUE INDEX quote_import_batches_imported_content ON quote_import_batches (organization_id, content_hash)
  WHERE status = 'IMPORTED';

-- Imported quotes get time-ordered (version 7) ids, so a batch's quotes lie
-- in one range of the primary key, recorded on the batch: a revert finds
-- them there. The (batch, row) index then needs to hold only the rows
-- without an external reference, for which it is the uniqueness the
-- import promises; a row with one is unique by (organization, reference).
-- One index fewer to write per imported row.
ALTER TABLE quote_import_batches
  ADD COLUMN first_quote_id uuid,
  ADD COLUMN last_quote_id  uuid,
  ADD CONSTRAINT quote_import_batches_quote_range CHECK ((first_quote_id IS NULL) = (last_quote_id IS NULL) AND first_quote_id <= last_quote_id);
DROP INDEX quotes_import_row;
CREATE UNIQUE INDEX quotes_import_row ON quotes (organization_id, import_batch_id, import_row)
  WHERE import_batch_id IS NOT NULL AND external_ref IS NULL;


-- A quote's key is (organization, id): every reference to a quote is that
-- pair already, and every read is confined to one organization, so the
-- second index on id alone only cost each insert its upkeep (one index of
-- four per imported row).
ALTER TABLE quote_line_items DROP CONSTRAINT quote_line_items_organization_id_quote_id_fkey;
ALTER TABLE vendor_schedules DROP CONSTRAINT vendor_schedules_organization_id_quote_id_fkey;
ALTER TABLE invoices DROP CONSTRAINT invoices_organization_id_quote_id_fkey;
ALTER TABLE quotes DROP CONSTRAINT quotes_organization_id_id_key, DROP CONSTRAINT quotes_pkey,
  ADD CONSTRAINT quotes_pkey PRIMARY KEY (organization_id, id);
ALTER TABLE quote_line_items ADD CONSTRAINT quote_line_items_organization_id_quote_id_fkey
  FOREIGN KEY (organization_id, quote_id) REFERENCES quotes (organization_id, id);
ALTER TABLE vendor_schedules ADD CONSTRAINT vendor_schedules_organization_id_quote_id_fkey
  FOREIGN KEY (organization_id, quote_id) REFERENCES quotes (organization_id, id);
ALTER TABLE invoices ADD CONSTRAINT invoices_organization_id_quote_id_fkey
  FOREIGN KEY (organization_id, quote_id) REFERENCES quotes (organization_id, id);
