-- Case SLA and work queue (domain.md §4). Nothing here runs on a timer: the
-- status transaction stores when the case was first answered and how long
-- its clock has been stopped, and every SLA state or urgency is computed
-- from those stored timestamps at the instant a read asks about.
ALTER TABLE cases
  -- The response target is met when the case first leaves INTAKE.
  ADD COLUMN responded_at    timestamptz,
  -- Whole seconds the clock was stopped in periods that have ended.
  ADD COLUMN paused_seconds  bigint NOT NULL DEFAULT 0 CHECK (paused_seconds >= 0),
  -- When the current stop began (PENDING_OWNER, PENDING_EXTERNAL, RESOLVED
  -- and the terminal statuses); NULL while the clock runs.
  ADD COLUMN paused_since    timestamptz,
  -- Who a PENDING_EXTERNAL case waits on; both set exactly in that status.
  ADD COLUMN waiting_on_kind text CHECK (waiting_on_kind IN ('HOA', 'VENDOR', 'OTHER')),
  ADD COLUMN waiting_on_name text CHECK (length(waiting_on_name) BETWEEN 1 AND 200),
  ADD CONSTRAINT cases_waiting_on_external CHECK (
    (status = 'PENDING_EXTERNAL') = (waiting_on_kind IS NOT NULL) AND (waiting_on_kind IS NULL) = (waiting_on_name IS NULL)),
  ADD CONSTRAINT cases_responded CHECK (status = 'INTAKE' OR responded_at IS NOT NULL);

-- Cases that existed before: answered when they first left INTAKE, stopped
-- since they entered the status they are stopped in. A PENDING_EXTERNAL
-- case from before did not record whom it waits on.
UPDATE cases c SET responded_at = COALESCE(
    (SELECT min(h.changed_at) FROM case_status_history h WHERE h.case_id = c.id AND h.from_status = 'INTAKE'), c.status_changed_at)
  WHERE c.status <> 'INTAKE';
UPDATE cases SET paused_since = status_changed_at
  WHERE status IN ('PENDING_OWNER', 'PENDING_EXTERNAL', 'RESOLVED', 'CLOSED', 'CANCELLED');
UPDATE cases SET waiting_on_kind = 'OTHER', waiting_on_name = 'not recorded' WHERE status = 'PENDING_EXTERNAL';

-- hestami_case_sla_state is the SLA state of c at as_of, under targets
-- ({"<PRIORITY>": {"response": seconds, "resolution": seconds}}, bound by
-- the caller from its configuration). The rule is written once more in Go
-- (cases.SLAOf); a test compares the two on the same rows at fixed times.
--   clock   = (the earlier of as_of and paused_since) − created_at − paused_seconds
--   target  = the response target until responded_at, then the resolution target
--   BREACHED when clock > target; AT_RISK when less than a quarter of the
--   target is left (4·clock > 3·target); ON_TRACK otherwise;
--   NOT_APPLICABLE for CLOSED and CANCELLED.
-- Both functions are one SELECT of one expression, without FROM, so that
-- the planner inlines them into the query that sorts by them (a function
-- that is not inlined costs a call per row: measured by scripts/bench).
CREATE FUNCTION hestami_case_sla_state(c cases, as_of timestamptz, targets jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN c.status IN ('CLOSED', 'CANCELLED') THEN 'NOT_APPLICABLE'
    WHEN extract(epoch FROM LEAST(as_of, COALESCE(c.paused_since, as_of)) - c.created_at) - c.paused_seconds
      > (targets -> c.priority ->> CASE WHEN c.responded_at IS NULL THEN 'response' ELSE 'resolution' END)::numeric THEN 'BREACHED'
    WHEN 4 * (extract(epoch FROM LEAST(as_of, COALESCE(c.paused_since, as_of)) - c.created_at) - c.paused_seconds)
      > 3 * (targets -> c.priority ->> CASE WHEN c.responded_at IS NULL THEN 'response' ELSE 'resolution' END)::numeric THEN 'AT_RISK'
    ELSE 'ON_TRACK' END
$$;

-- hestami_case_urgency ranks c for the work queue at as_of: 0 critical,
-- 1 high, 2 normal, 3 low (ascending is most urgent first). Rules of
-- domain.md §4, in order: CLOSED/CANCELLED → low; SLA breached or priority
-- EMERGENCY/URGENT → critical; SLA at risk, priority HIGH or more than 48 h
-- in the same status → high; LOW → low; otherwise normal.
CREATE FUNCTION hestami_case_urgency(c cases, as_of timestamptz, targets jsonb) RETURNS smallint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT (CASE
    WHEN c.status IN ('CLOSED', 'CANCELLED') THEN 3
    WHEN c.priority IN ('EMERGENCY', 'URGENT') OR hestami_case_sla_state(c, as_of, targets) = 'BREACHED' THEN 0
    WHEN c.priority = 'HIGH' OR extract(epoch FROM as_of - c.status_changed_at) > 172800
      OR hestami_case_sla_state(c, as_of, targets) = 'AT_RISK' THEN 1
    WHEN c.priority = 'LOW' THEN 3
    ELSE 2 END)::smallint
$$;
REVOKE ALL ON FUNCTION hestami_case_sla_state(cases, timestamptz, jsonb), hestami_case_urgency(cases, timestamptz, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION hestami_case_sla_state(cases, timestamptz, jsonb), hestami_case_urgency(cases, timestamptz, jsonb) TO hestami_app;

