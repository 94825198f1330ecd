-- +goose Up
-- A quiz's review policy says when a graded attempt shows the correct options
-- and explanations; draw, when set, is how many of the quiz's questions each
-- attempt is served (drawn per learner and attempt from the pool).
ALTER TABLE quizzes
    ADD COLUMN review text NOT NULL DEFAULT 'after_pass_or_last_attempt'
        CHECK (review IN ('after_pass_or_last_attempt', 'after_each_attempt', 'never')),
    ADD COLUMN draw integer CHECK (draw BETWEEN 1 AND 100);

-- +goose Down
ALTER TABLE quizzes DROP COLUMN draw, DROP COLUMN review;
