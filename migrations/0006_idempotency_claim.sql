-- hestami_idempotency_claim locks an idempotency scope and returns its
-- record, if any, in one statement (fails with SQLSTATE HS409 while another
-- transaction holds the scope). The lookup runs after the lock is taken, with
-- its own snapshot, so it sees a record committed by the previous holder.
-- It replaces the lock-then-select pair of 0005.
CREATE FUNCTION hestami_idempotency_claim(p_org uuid, p_principal uuid, p_procedure text, p_key text)
RETURNS TABLE (fingerprint text, output jsonb, error jsonb, trace_id text)
LANGUAGE plpgsql AS $$
BEGIN
  IF NOT pg_try_advisory_xact_lock(hashtextextended(p_org::text || '/' || p_principal::text || '/' || p_procedure || '/' || p_key, 0)) THEN
    RAISE EXCEPTION 'idempotency scope busy' USING ERRCODE = 'HS409';
  END IF;
  RETURN QUERY
  SELECT k.fingerprint, k.output, k.error, k.trace_id FROM idempotency_keys k
  WHERE k.organization_id = p_org AND k.principal_id = p_principal AND k.procedure = p_procedure AND k.key = p_key;
END $$;
GRANT EXECUTE ON FUNCTION hestami_idempotency_claim(uuid, uuid, text, text) TO hestami_app;
DROP FUNCTION hestami_idempotency_lock(text);
