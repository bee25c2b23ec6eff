-- The display names of the people of the transaction's organization
-- (hestami.org_id, which every tenant transaction sets): its members and the
-- staff of the operators it engages, that is, whoever can act on its
-- records. Commands name the actors of a record with it, locally and over
-- the API, without the runtime role reading users: ids of anyone else, and
-- every id outside a tenant transaction, name nobody.
CREATE FUNCTION hestami_display_names(p_ids uuid[])
RETURNS TABLE (id uuid, display_name text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  WITH org AS (SELECT NULLIF(current_setting('hestami.org_id', true), '')::uuid AS id)
  SELECT u.id, u.display_name FROM users u, org
  WHERE u.id = ANY(p_ids) AND org.id IS NOT NULL AND (
    EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = u.id AND m.organization_id = org.id)
    OR EXISTS (
      SELECT 1 FROM concierge_engagements e
      JOIN organizations op ON op.id = e.operator_org_id AND op.type = 'PLATFORM_OPERATOR'
      JOIN memberships m ON m.organization_id = e.operator_org_id AND m.user_id = u.id
      WHERE e.organization_id = org.id AND e.status = 'ACTIVE'
        AND m.role IN ('CONCIERGE_STAFF', 'CONCIERGE_LEAD', 'PLATFORM_ADMIN')))
$$;
REVOKE ALL ON FUNCTION hestami_display_names(uuid[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION hestami_display_names(uuid[]) TO hestami_app;
