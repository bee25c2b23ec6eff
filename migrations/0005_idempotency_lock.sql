-- hestami_idempotency_lock takes the transaction-level lock of an
-- idempotency scope or fails with SQLSTATE HS409 when another transaction
-- holds it. Failing (rather than returning false) lets the lock travel in one
-- pipelined batch with the statement that reads the scope's record: that
-- statement runs only once the lock is held, with a snapshot taken after it.
CREATE FUNCTION hestami_idempotency_lock(p_scope text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF NOT pg_try_advisory_xact_lock(hashtextextended(p_scope, 0)) THEN
    RAISE EXCEPTION 'idempotency scope busy' USING ERRCODE = 'HS409';
  END IF;
END $$;
GRANT EXECUTE ON FUNCTION hestami_idempotency_lock(text) TO hestami_app;
