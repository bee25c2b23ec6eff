-- SQL-language SECURITY DEFINER functions are neither inlined nor planned
-- once, so every call re-planned them (≈0.8 ms each, measured by
-- scripts/bench). plpgsql caches its plans per session. hestami_caller does
-- what an API request needs — token and principal — in one call.
CREATE OR REPLACE FUNCTION hestami_authenticate(p_token_hash bytea)
RETURNS TABLE (user_id uuid, token_id uuid)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  RETURN QUERY
  SELECT t.user_id, t.id FROM api_tokens t
  WHERE t.token_hash = p_token_hash AND t.revoked_at IS NULL AND t.expires_at > now();
END $$;

CREATE OR REPLACE FUNCTION hestami_principal(p_user_id uuid, p_org_id uuid)
RETURNS TABLE (org_type text, roles text[], engaged boolean)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_type text;
  v_own text[];
  v_staff text[];
BEGIN
  SELECT o.type INTO v_type FROM organizations o WHERE o.id = p_org_id;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  SELECT coalesce(array_agg(m.role), '{}') INTO v_own
  FROM memberships m WHERE m.user_id = p_user_id AND m.organization_id = p_org_id;
  SELECT coalesce(array_agg(DISTINCT m.role), '{}') INTO v_staff
  FROM concierge_engagements e
  JOIN organizations op ON op.id = e.operator_org_id AND op.type = 'PLATFORM_OPERATOR'
  JOIN memberships m ON m.organization_id = e.operator_org_id AND m.user_id = p_user_id
  WHERE e.organization_id = p_org_id AND e.status = 'ACTIVE'
    AND m.role IN ('CONCIERGE_STAFF', 'CONCIERGE_LEAD', 'PLATFORM_ADMIN');
  org_type := v_type;
  roles := ARRAY(SELECT DISTINCT r FROM unnest(v_own || v_staff) AS r ORDER BY 1);
  engaged := cardinality(v_staff) > 0;
  RETURN NEXT;
END $$;

-- hestami_caller authenticates a token and resolves its user in an
-- organization: no row for an unknown, expired or revoked token; NULL
-- org_type when the organization does not exist.
CREATE FUNCTION hestami_caller(p_token_hash bytea, p_org_id uuid)
RETURNS TABLE (user_id uuid, org_type text, roles text[], engaged boolean)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_user uuid;
BEGIN
  SELECT t.user_id INTO v_user FROM api_tokens t
  WHERE t.token_hash = p_token_hash AND t.revoked_at IS NULL AND t.expires_at > now();
  IF NOT FOUND THEN
    RETURN;
  END IF;
  user_id := v_user;
  SELECT p.org_type, p.roles, p.engaged INTO org_type, roles, engaged FROM hestami_principal(v_user, p_org_id) p;
  RETURN NEXT;
END $$;

REVOKE ALL ON FUNCTION hestami_caller(bytea, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION hestami_caller(bytea, uuid) TO hestami_app;
