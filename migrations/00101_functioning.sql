-- +goose Up
-- The Washington Group Short Set on Functioning, kept apart from the profile:
-- a row exists only while the learner consents, and goes with the account.
CREATE DOMAIN wg_answer AS text
    CHECK (VALUE IN ('no_difficulty', 'some_difficulty', 'a_lot_of_difficulty', 'cannot_do_at_all', 'prefer_not_to_say'));

CREATE TABLE user_functioning (
    user_id       uuid        PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    consented_at  timestamptz NOT NULL DEFAULT now(),
    answered_at   timestamptz,
    seeing        wg_answer,
    hearing       wg_answer,
    walking       wg_answer,
    cognition     wg_answer,
    self_care     wg_answer,
    communication wg_answer,
    -- The Washington Group cut-off: "yes" when any domain is a lot of
    -- difficulty or cannot do at all; "no" only when every domain is answered.
    disability    text        NOT NULL GENERATED ALWAYS AS (
        CASE
            WHEN 'a_lot_of_difficulty' IN (seeing, hearing, walking, cognition, self_care, communication)
              OR 'cannot_do_at_all' IN (seeing, hearing, walking, cognition, self_care, communication) THEN 'yes'
            WHEN seeing IN ('no_difficulty', 'some_difficulty') AND hearing IN ('no_difficulty', 'some_difficulty')
              AND walking IN ('no_difficulty', 'some_difficulty') AND cognition IN ('no_difficulty', 'some_difficulty')
              AND self_care IN ('no_difficulty', 'some_difficulty') AND communication IN ('no_difficulty', 'some_difficulty') THEN 'no'
            ELSE 'not_stated'
        END) STORED,
    -- all six answers, or none yet
    CHECK ((answered_at IS NULL) = (seeing IS NULL) AND num_nulls(seeing, hearing, walking, cognition, self_care, communication) IN (0, 6))
);

-- +goose Down
DROP TABLE user_functioning;
DROP DOMAIN wg_answer;
