-- +goose Up
-- Surveys addressed to a learner after completing a course: a satisfaction
-- survey at completion and follow-ups 90 and 180 days later. A row exists from
-- the completion on; it waits for the learner from due_at, is announced once
-- (delivered_at) and reminded at most once (reminded_at), and holds the one
-- response. response_id is the client-made id that makes a resend harmless.
CREATE TABLE surveys (
    id            uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id       uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    enrollment_id uuid        NOT NULL REFERENCES enrollments (id) ON DELETE CASCADE,
    course_id     uuid        NOT NULL REFERENCES courses (id),
    kind          text        NOT NULL CHECK (kind IN ('satisfaction', 'follow_up_90', 'follow_up_180')),
    due_at        timestamptz NOT NULL,
    delivered_at  timestamptz,
    reminded_at   timestamptz,
    response_id   uuid        UNIQUE,
    answers       jsonb,
    responded_at  timestamptz,
    UNIQUE (enrollment_id, kind),
    CHECK ((response_id IS NULL) = (responded_at IS NULL) AND (answers IS NULL) = (responded_at IS NULL))
);

-- The periodic job's scans: due and not announced; announced, unanswered and not reminded.
CREATE INDEX surveys_undelivered ON surveys (due_at, id) WHERE delivered_at IS NULL;
CREATE INDEX surveys_unanswered ON surveys (delivered_at, id) WHERE responded_at IS NULL AND reminded_at IS NULL;
-- GET /v1/me/surveys: a learner's waiting surveys in due order.
CREATE INDEX surveys_user_waiting ON surveys (user_id, due_at, id) WHERE responded_at IS NULL;
-- The impact report reads a course's responses.
CREATE INDEX surveys_course ON surveys (course_id, kind) WHERE responded_at IS NOT NULL;

-- +goose Down
DROP TABLE surveys;
