-- +goose Up
-- A course is a stable slug; its content lives in versions. Publishing freezes a
-- version; editing a published course creates the next draft version.
CREATE TABLE courses (
    id                 uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    slug               text        NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) BETWEEN 3 AND 80),
    current_version_id uuid,       -- the published version new enrollments get
    archived_at        timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE course_versions (
    id               uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    course_id        uuid        NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    version          integer     NOT NULL CHECK (version >= 1),
    status           text        NOT NULL CHECK (status IN ('draft', 'published', 'archived')),
    title            text        NOT NULL,
    summary          text        NOT NULL,
    level            text        NOT NULL CHECK (level IN ('beginner', 'intermediate', 'advanced')),
    audiences        text[]      NOT NULL CHECK (cardinality(audiences) >= 1 AND audiences <@ ARRAY['youth', 'professional', 'msme']),
    language         text        NOT NULL CHECK (language IN ('ar', 'en', 'es', 'fr', 'ru', 'zh')),
    languages        text[]      NOT NULL,   -- the default language first, then translations
    outcomes         jsonb       NOT NULL DEFAULT '[]',
    duration_minutes integer     NOT NULL DEFAULT 0,
    translations     jsonb       NOT NULL DEFAULT '{}',  -- {"fr": {"title", "summary", "outcomes"}}
    document         jsonb       NOT NULL,   -- the course document as received (export, idempotent import)
    document_hash    text        NOT NULL,
    search           tsvector    NOT NULL DEFAULT ''::tsvector,
    published_at     timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (course_id, version)
);
CREATE UNIQUE INDEX course_versions_one_draft ON course_versions (course_id) WHERE status = 'draft';
CREATE INDEX course_versions_search_idx ON course_versions USING gin (search);

ALTER TABLE courses ADD CONSTRAINT courses_current_version_fk
    FOREIGN KEY (current_version_id) REFERENCES course_versions (id);

CREATE TABLE course_modules (
    id           uuid    PRIMARY KEY DEFAULT gen_random_uuid(),
    version_id   uuid    NOT NULL REFERENCES course_versions (id) ON DELETE CASCADE,
    key          text    NOT NULL,
    position     integer NOT NULL CHECK (position >= 1),
    title        text    NOT NULL,
    summary      text    NOT NULL DEFAULT '',
    translations jsonb   NOT NULL DEFAULT '{}',
    UNIQUE (version_id, key),
    UNIQUE (version_id, position)
);

CREATE TABLE lessons (
    id               uuid    PRIMARY KEY DEFAULT gen_random_uuid(),
    version_id       uuid    NOT NULL REFERENCES course_versions (id) ON DELETE CASCADE,
    module_id        uuid    NOT NULL REFERENCES course_modules (id) ON DELETE CASCADE,
    key              text    NOT NULL,
    position         integer NOT NULL CHECK (position >= 1),
    title            text    NOT NULL,
    kind             text    NOT NULL CHECK (kind IN ('text', 'video', 'exercise')),
    duration_minutes integer NOT NULL CHECK (duration_minutes BETWEEN 1 AND 600),
    video_url        text,
    content          text    NOT NULL DEFAULT '',
    translations     jsonb   NOT NULL DEFAULT '{}',  -- {"fr": {"title", "content"}}
    UNIQUE (version_id, key),
    UNIQUE (module_id, position),
    CHECK ((kind = 'video') = (video_url IS NOT NULL))
);
CREATE INDEX lessons_module_idx ON lessons (module_id, position);

CREATE TABLE quizzes (
    id           uuid    PRIMARY KEY DEFAULT gen_random_uuid(),
    version_id   uuid    NOT NULL REFERENCES course_versions (id) ON DELETE CASCADE,
    module_id    uuid    NOT NULL UNIQUE REFERENCES course_modules (id) ON DELETE CASCADE,
    key          text    NOT NULL,
    title        text    NOT NULL,
    pass_score   integer NOT NULL CHECK (pass_score BETWEEN 0 AND 100),
    max_attempts integer NOT NULL CHECK (max_attempts BETWEEN 1 AND 100),
    translations jsonb   NOT NULL DEFAULT '{}',
    UNIQUE (version_id, key)
);
CREATE INDEX quizzes_version_idx ON quizzes (version_id);

CREATE TABLE quiz_questions (
    id           uuid    PRIMARY KEY DEFAULT gen_random_uuid(),
    quiz_id      uuid    NOT NULL REFERENCES quizzes (id) ON DELETE CASCADE,
    key          text    NOT NULL,
    position     integer NOT NULL CHECK (position >= 1),
    text         text    NOT NULL,
    kind         text    NOT NULL CHECK (kind IN ('single', 'multiple')),
    explanation  text    NOT NULL DEFAULT '',
    translations jsonb   NOT NULL DEFAULT '{}',
    UNIQUE (quiz_id, key),
    UNIQUE (quiz_id, position)
);

CREATE TABLE quiz_options (
    id           uuid    PRIMARY KEY DEFAULT gen_random_uuid(),
    question_id  uuid    NOT NULL REFERENCES quiz_questions (id) ON DELETE CASCADE,
    key          text    NOT NULL,
    position     integer NOT NULL CHECK (position >= 1),
    text         text    NOT NULL,
    correct      boolean NOT NULL,
    translations jsonb   NOT NULL DEFAULT '{}',
    UNIQUE (question_id, key),
    UNIQUE (question_id, position)
);

-- +goose Down
DROP TABLE quiz_options;
DROP TABLE quiz_questions;
DROP TABLE quizzes;
DROP TABLE lessons;
DROP TABLE course_modules;
ALTER TABLE courses DROP CONSTRAINT courses_current_version_fk;
DROP TABLE course_versions;
DROP TABLE courses;
