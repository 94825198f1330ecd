-- +goose Up
-- A learner's pre- or post-test: the items drawn for them from the course
-- document's assessment bank (fixed at the first read, so that what was shown
-- is what is graded) and, once taken, the one attempt.
CREATE TABLE assessment_draws (
    enrollment_id uuid        NOT NULL REFERENCES enrollments (id) ON DELETE CASCADE,
    kind          text        NOT NULL CHECK (kind IN ('pre', 'post')),
    user_id       uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course_id     uuid        NOT NULL REFERENCES courses (id),
    version_id    uuid        NOT NULL REFERENCES course_versions (id),
    items         text[]      NOT NULL CHECK (cardinality(items) > 0),
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (enrollment_id, kind)
);

-- One attempt per draw: the UNIQUE constraint is what makes it one.
CREATE TABLE assessment_attempts (
    id            uuid        PRIMARY KEY,
    enrollment_id uuid        NOT NULL,
    kind          text        NOT NULL,
    user_id       uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course_id     uuid        NOT NULL REFERENCES courses (id),
    version_id    uuid        NOT NULL REFERENCES course_versions (id),
    answers       jsonb       NOT NULL,
    results       jsonb       NOT NULL, -- [{item, correct}], in the order of the draw
    score         smallint    NOT NULL CHECK (score BETWEEN 0 AND 100),
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (enrollment_id, kind),
    FOREIGN KEY (enrollment_id, kind) REFERENCES assessment_draws (enrollment_id, kind) ON DELETE CASCADE
);

-- Item statistics and the impact report read a course's attempts.
CREATE INDEX assessment_attempts_course ON assessment_attempts (course_id, kind);

-- +goose Down
DROP TABLE assessment_attempts;
DROP TABLE assessment_draws;
