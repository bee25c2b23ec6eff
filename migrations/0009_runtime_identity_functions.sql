-- The runtime role resolves callers only from what a request carries: a
-- token hash (hestami_caller, hestami_authenticate). hestami_principal
-- (any user in any organization) and hestami_user_ref (user ids by e-mail)
-- would let it list anyone's roles and enumerate users; they serve operator
-- paths (--as, seeding, tests), which run on the owner role.
REVOKE EXECUTE ON FUNCTION hestami_principal(uuid, uuid), hestami_user_ref(text) FROM hestami_app, PUBLIC;
