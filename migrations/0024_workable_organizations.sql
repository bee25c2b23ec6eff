-- organization/v1/mine lists the organizations a caller may act in before it
-- has chosen one. Such a transaction has no active organization (so every
-- tenant table stays empty to it) and names its user instead, in
-- hestami.user_id, set like hestami.org_id from the authenticated caller.
-- It then sees that user's own memberships, the active engagements of the
-- operators where it holds a platform role, and those organizations; no
-- other row. Without hestami.user_id these policies match nothing, so
-- tenant transactions see what they saw before.
CREATE POLICY own_memberships ON memberships FOR SELECT
  USING (user_id = (SELECT NULLIF(current_setting('hestami.user_id', true), '')::uuid));

CREATE POLICY operator_engagements ON concierge_engagements FOR SELECT
  USING (status = 'ACTIVE' AND operator_org_id IN (
    SELECT m.organization_id FROM memberships m
    WHERE m.user_id = (SELECT NULLIF(current_setting('hestami.user_id', true), '')::uuid)
      AND m.role IN ('CONCIERGE_STAFF', 'CONCIERGE_LEAD', 'PLATFORM_ADMIN')));

CREATE POLICY workable_organizations ON organizations FOR SELECT
  USING (id IN (
    SELECT m.organization_id FROM memberships m
    WHERE m.user_id = (SELECT NULLIF(current_setting('hestami.user_id', true), '')::uuid)
    UNION ALL
    SELECT e.organization_id FROM concierge_engagements e
    WHERE (SELECT NULLIF(current_setting('hestami.user_id', true), '')::uuid) IS NOT NULL));
