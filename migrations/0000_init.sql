CREATE TABLE `attempts` (
	`notification_id` text NOT NULL,
	`n` integer NOT NULL,
	`at` integer NOT NULL,
	`duration_ms` integer NOT NULL,
	`status_code` integer,
	`outcome` text NOT NULL,
	`error` text,
	`response_excerpt` text,
	PRIMARY KEY(`notification_id`, `n`),
	FOREIGN KEY (`notification_id`) REFERENCES `notifications`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `notifications` (
	`id` text PRIMARY KEY NOT NULL,
	`status` text NOT NULL,
	`url` text NOT NULL,
	`host` text NOT NULL,
	`body` text NOT NULL,
	`content_type` text NOT NULL,
	`headers` text NOT NULL,
	`idempotency_key` text,
	`payload_hash` text NOT NULL,
	`delays_ms` text NOT NULL,
	`success` text NOT NULL,
	`timeout_ms` integer NOT NULL,
	`metadata` text,
	`attempts` integer DEFAULT 0 NOT NULL,
	`round_start` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer,
	`lease_until` integer,
	`delivered_at` integer,
	`dead_at` integer,
	`dead_reason` text,
	`cancelled_at` integer,
	`last_error` text,
	`replays` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `notifications_due_first_idx` ON `notifications` (`next_attempt_at`,`host`) WHERE status = 'pending' AND attempts = round_start;--> statement-breakpoint
CREATE INDEX `notifications_due_retry_idx` ON `notifications` (`next_attempt_at`,`host`) WHERE status = 'pending' AND attempts > round_start;--> statement-breakpoint
CREATE INDEX `notifications_due_first_host_idx` ON `notifications` (`host`,`next_attempt_at`) WHERE status = 'pending' AND attempts = round_start;--> statement-breakpoint
CREATE INDEX `notifications_due_retry_host_idx` ON `notifications` (`host`,`next_attempt_at`) WHERE status = 'pending' AND attempts > round_start;--> statement-breakpoint
CREATE UNIQUE INDEX `notifications_idempotency_key_idx` ON `notifications` (`idempotency_key`) WHERE idempotency_key IS NOT NULL;--> statement-breakpoint
CREATE INDEX `notifications_dead_idx` ON `notifications` (`dead_at`,`id`) WHERE status = 'dead';--> statement-breakpoint
CREATE INDEX `notifications_status_idx` ON `notifications` (`status`,`id`);