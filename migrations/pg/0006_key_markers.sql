-- Issue 25 finding 7: a key's list entry showed its first 12 characters, half of a short
-- operator-chosen key. Keys now carry a fixed marker that is not secret (the generated keys'
-- kind prefix, or `operator`); stored keys and the audit entries of keys are rewritten to it.
UPDATE "api_keys" SET "prefix" = CASE WHEN substr("prefix", 1, 9) = 'cf_admin_' THEN 'cf_admin_' WHEN substr("prefix", 1, 10) = 'cf_server_' THEN 'cf_server_' WHEN substr("prefix", 1, 10) = 'cf_client_' THEN 'cf_client_' ELSE 'operator' END;
--> statement-breakpoint
UPDATE "audit_log" SET "after" = jsonb_set("after", '{prefix}', to_jsonb(CASE WHEN substr(("after"->>'prefix'), 1, 9) = 'cf_admin_' THEN 'cf_admin_' WHEN substr(("after"->>'prefix'), 1, 10) = 'cf_server_' THEN 'cf_server_' WHEN substr(("after"->>'prefix'), 1, 10) = 'cf_client_' THEN 'cf_client_' ELSE 'operator' END)) WHERE "action" LIKE 'key.%' AND ("after"->>'prefix') IS NOT NULL;
--> statement-breakpoint
UPDATE "audit_log" SET "before" = jsonb_set("before", '{prefix}', to_jsonb(CASE WHEN substr(("before"->>'prefix'), 1, 9) = 'cf_admin_' THEN 'cf_admin_' WHEN substr(("before"->>'prefix'), 1, 10) = 'cf_server_' THEN 'cf_server_' WHEN substr(("before"->>'prefix'), 1, 10) = 'cf_client_' THEN 'cf_client_' ELSE 'operator' END)) WHERE "action" LIKE 'key.%' AND ("before"->>'prefix') IS NOT NULL;
