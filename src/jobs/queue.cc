#include "jobs/queue.h"
#include "common/fault_point.h"

#include "common/error.h"
#include "jobs/job_names.h"
#include "migrations/keepsake_migrations.h"

KEEPSAKE_MIGRATION(jobs0100, "0100-jobs-queue", R"sql(
CREATE TABLE keepsake.job_queue (
  name text PRIMARY KEY,
  is_paused boolean NOT NULL DEFAULT false
);
CREATE TABLE keepsake.job (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  queue text NOT NULL,
  name text NOT NULL,
  data jsonb NOT NULL DEFAULT '{}'::jsonb,
  status text NOT NULL DEFAULT 'waiting' CHECK (status IN ('waiting', 'active', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  max_attempts integer NOT NULL DEFAULT 1 CHECK (max_attempts >= 1),
  backoff_ms bigint NOT NULL DEFAULT 1000 CHECK (backoff_ms >= 0),
  stalls integer NOT NULL DEFAULT 0,
  run_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  worker text,
  lease_until timestamptz,
  error text,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  started_at timestamptz,
  finished_at timestamptz
);
CREATE INDEX job_runnable_idx ON keepsake.job (queue, run_at, id) WHERE status <> 'failed';
CREATE INDEX job_failed_idx ON keepsake.job (queue, finished_at) WHERE status = 'failed';
CREATE TABLE keepsake.job_schedule (
  name text PRIMARY KEY,
  last_slot timestamptz NOT NULL
);
)sql");

namespace keepsake::jobs {
namespace {

std::string ms(std::chrono::milliseconds d) { return std::to_string(d.count()); }

// True when no session of this database holds the maintenance lock (621).
constexpr const char* kNotInMaintenance = R"(NOT EXISTS (
      SELECT FROM pg_locks l
       WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 0 AND l.objid = 621
         AND l.objsubid = 1
         AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())))";

}  // namespace

void ensure_queue_schema(db::Connection& conn) {
  bool present = conn.exec("SELECT to_regclass('keepsake.job') IS NOT NULL", {},
                           "look for the job queue")
                     .boolean(0, 0);
  if (!present) migrations::apply_keepsake_migrations(conn);
}

void JobQueue::check_queue(const std::string& queue) const {
  if (!is_queue_name(queue)) {
    throw Error(ErrorKind::kInvalidArgument, "unknown queue \"" + queue + "\"",
                "use one of Immich's queue names, e.g. backgroundTask or backupDatabase");
  }
}

int64_t JobQueue::enqueue(const JobRequest& job) { return enqueue(queue_for_job(job.name), job); }

int64_t JobQueue::enqueue(const std::string& queue, const JobRequest& job) {
  check_queue(queue);
  if (job.options.max_attempts < 1) {
    throw Error(ErrorKind::kInvalidArgument, "a job needs at least one attempt");
  }
  auto r = conn_.exec(
      R"(WITH ins AS (
           INSERT INTO keepsake.job (queue, name, data, max_attempts, backoff_ms, run_at)
           VALUES ($1, $2, $3::jsonb, $4::int, $5::bigint,
                   clock_timestamp() + $6::bigint * interval '1 millisecond')
           RETURNING id)
         SELECT id, pg_notify($7, $1) FROM ins)",
      {queue, job.name, job.data.dump(), std::to_string(job.options.max_attempts),
       ms(job.options.backoff), ms(job.options.delay), kJobsChannel},
      "queue job " + job.name);
  return r.int64(0, 0);
}

int64_t JobQueue::enqueue_many(const std::string& name, const std::vector<nlohmann::json>& data,
                               const JobOptions& options) {
  if (data.empty()) return 0;
  auto r = conn_.exec(
      R"(WITH ins AS (
           INSERT INTO keepsake.job (queue, name, data, max_attempts, backoff_ms, run_at)
           SELECT $1, $2, d, $4::int, $5::bigint,
                  clock_timestamp() + $6::bigint * interval '1 millisecond'
             FROM jsonb_array_elements($3::jsonb) AS d
           RETURNING id)
         SELECT count(*), pg_notify($7, $1) FROM ins)",
      {queue_for_job(name), name, nlohmann::json(data).dump(),
       std::to_string(options.max_attempts), ms(options.backoff), ms(options.delay), kJobsChannel},
      "queue jobs " + name);
  return r.int64(0, 0);
}

std::optional<ClaimedJob> JobQueue::claim(const std::string& queue, const std::string& worker,
                                          std::chrono::milliseconds lease) {
  auto r = conn_.exec(
      std::string(R"(WITH next AS (
           SELECT id FROM keepsake.job
            WHERE queue = $1 AND status <> 'failed'
              AND ((status = 'waiting' AND run_at <= clock_timestamp())
                   OR (status = 'active' AND lease_until < clock_timestamp()))
              AND NOT EXISTS (SELECT FROM keepsake.job_queue q WHERE q.name = $1 AND q.is_paused)
              AND )") + kNotInMaintenance + R"(
            ORDER BY run_at, id
            LIMIT 1
            FOR UPDATE SKIP LOCKED)
         UPDATE keepsake.job j
            SET attempts = j.attempts + CASE WHEN j.status = 'waiting' THEN 1 ELSE 0 END,
                stalls = j.stalls + CASE WHEN j.status = 'active' THEN 1 ELSE 0 END,
                status = 'active', worker = $2, started_at = clock_timestamp(),
                lease_until = clock_timestamp() + $3::bigint * interval '1 millisecond'
           FROM next WHERE j.id = next.id
         RETURNING j.id, j.name, j.data, j.attempts, j.max_attempts, j.stalls)",
      {queue, worker, ms(lease)}, "claim a job from " + queue);
  if (r.empty()) return std::nullopt;
  fault::point("jobs.claim");
  ClaimedJob job;
  job.id = r.int64(0, "id");
  job.queue = queue;
  job.name = r.text(0, "name");
  job.data = nlohmann::json::parse(r.text(0, "data"));
  job.attempt = static_cast<int>(r.int64(0, "attempts"));
  job.max_attempts = static_cast<int>(r.int64(0, "max_attempts"));
  job.stalls = static_cast<int>(r.int64(0, "stalls"));
  return job;
}

bool JobQueue::cancel_waiting(int64_t id) {
  return conn_.exec("DELETE FROM keepsake.job WHERE id = $1 AND status = 'waiting'",
                    {std::to_string(id)}, "withdraw a job")
             .affected() == 1;
}

bool JobQueue::complete(int64_t id, const std::string& worker) {
  fault::point("jobs.complete");
  return conn_.exec("DELETE FROM keepsake.job WHERE id = $1 AND worker = $2 AND status = 'active'",
                    {std::to_string(id), worker}, "remove a completed job")
             .affected() == 1;
}

bool JobQueue::fail(int64_t id, const std::string& worker, const std::string& error,
                    bool may_retry) {
  auto r = conn_.exec(
      R"(WITH upd AS (
           UPDATE keepsake.job
              SET status = CASE WHEN $5 AND attempts < max_attempts THEN 'waiting'
                                ELSE 'failed' END,
                  run_at = CASE WHEN $5 AND attempts < max_attempts
                                THEN clock_timestamp() + backoff_ms * power(2, attempts - 1)
                                                         * interval '1 millisecond'
                                ELSE run_at END,
                  finished_at = CASE WHEN $5 AND attempts < max_attempts THEN NULL
                                     ELSE clock_timestamp() END,
                  error = $3, worker = NULL, lease_until = NULL
            WHERE id = $1 AND worker = $2 AND status = 'active'
           RETURNING queue, status)
         SELECT status, CASE WHEN status = 'waiting' THEN pg_notify($4, queue) END FROM upd)",
      {std::to_string(id), worker, error, kJobsChannel, may_retry ? "true" : "false"},
      "record a job failure");
  return !r.empty() && r.text(0, 0) == "failed";
}

int64_t JobQueue::renew_leases(const std::string& worker, std::chrono::milliseconds lease) {
  return conn_
      .exec(R"(UPDATE keepsake.job
                  SET lease_until = clock_timestamp() + $2::bigint * interval '1 millisecond'
                WHERE status = 'active' AND worker = $1)",
            {worker, ms(lease)}, "renew job leases")
      .affected();
}

QueueCounts JobQueue::counts(const std::string& queue) {
  check_queue(queue);
  auto r = conn_.exec(
      R"(SELECT count(*) FILTER (WHERE status = 'active'),
                count(*) FILTER (WHERE status = 'failed'),
                count(*) FILTER (WHERE status = 'waiting' AND run_at > clock_timestamp()),
                count(*) FILTER (WHERE status = 'waiting' AND run_at <= clock_timestamp()),
                coalesce((SELECT is_paused FROM keepsake.job_queue WHERE name = $1), false)
           FROM keepsake.job WHERE queue = $1)",
      {queue}, "count jobs of " + queue);
  QueueCounts c;
  c.active = r.int64(0, 0);
  c.failed = r.int64(0, 1);
  c.delayed = r.int64(0, 2);
  c.is_paused = r.boolean(0, 4);
  (c.is_paused ? c.paused : c.waiting) = r.int64(0, 3);
  return c;
}

void JobQueue::pause(const std::string& queue) {
  check_queue(queue);
  conn_.exec(R"(INSERT INTO keepsake.job_queue (name, is_paused) VALUES ($1, true)
                ON CONFLICT (name) DO UPDATE SET is_paused = true)",
             {queue}, "pause queue " + queue);
}

void JobQueue::resume(const std::string& queue) {
  check_queue(queue);
  conn_.exec(R"(WITH upd AS (
                  INSERT INTO keepsake.job_queue (name, is_paused) VALUES ($1, false)
                  ON CONFLICT (name) DO UPDATE SET is_paused = false RETURNING name)
                SELECT pg_notify($2, name) FROM upd)",
             {queue, kJobsChannel}, "resume queue " + queue);
}

bool JobQueue::is_paused(const std::string& queue) { return counts(queue).is_paused; }

std::vector<FailedJob> JobQueue::failed_jobs(const std::string& queue, int limit) {
  check_queue(queue);
  auto r = conn_.exec(
      R"(SELECT id, name, coalesce(error, ''), to_json(finished_at)#>>'{}'
           FROM keepsake.job WHERE queue = $1 AND status = 'failed'
          ORDER BY finished_at DESC, id DESC LIMIT $2::int)",
      {queue, std::to_string(limit)}, "list failed jobs of " + queue);
  std::vector<FailedJob> out;
  for (int i = 0; i < r.rows(); ++i) {
    out.push_back({r.int64(i, 0), queue, r.text(i, 1), r.text(i, 2), r.text(i, 3)});
  }
  return out;
}

int64_t JobQueue::prune_failed(std::chrono::hours keep) {
  return conn_
      .exec(R"(DELETE FROM keepsake.job WHERE status = 'failed'
                 AND finished_at < clock_timestamp() - $1::bigint * interval '1 hour')",
            {std::to_string(keep.count())}, "prune old failed jobs")
      .affected();
}

int64_t JobQueue::clear_failed(const std::string& queue) {
  check_queue(queue);
  return conn_
      .exec("DELETE FROM keepsake.job WHERE queue = $1 AND status = 'failed'", {queue},
            "clear failed jobs of " + queue)
      .affected();
}

int64_t JobQueue::empty(const std::string& queue) {
  check_queue(queue);
  return conn_
      .exec("DELETE FROM keepsake.job WHERE queue = $1 AND status = 'waiting'", {queue},
            "empty queue " + queue)
      .affected();
}

}  // namespace keepsake::jobs
