CREATE TABLE "webhook_secrets" (
	"env_key" text NOT NULL,
	"flag_key" text NOT NULL,
	"secret" text NOT NULL,
	"previous_secret" text,
	"previous_until" bigint,
	"created_at" bigint NOT NULL,
	CONSTRAINT "webhook_secrets_env_key_flag_key_pk" PRIMARY KEY("env_key","flag_key")
);
