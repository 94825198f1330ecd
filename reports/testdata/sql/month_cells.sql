-- group_by=audience,month

-- totals and the gender margin, args []
SELECT gender::text AS d0,
	coalesce(bigint_sum(learners), 0), coalesce(bigint_sum(enrollments), 0),
	coalesce(bigint_sum(completions), 0), coalesce(bigint_sum(certificates), 0),
	coalesce(bigint_sum(learner_keys), 0), coalesce(bigint_sum(enrollment_keys), 0),
	coalesce(bigint_sum(completion_keys), 0), coalesce(bigint_sum(certificate_keys), 0)
FROM report_learner_cells
GROUP BY GROUPING SETS ((gender), ());

-- totals and the gender margin: overlaps to subtract, args []
SELECT d0,
	coalesce(bigint_sum(n), 0), 0::bigint, 0::bigint, 0::bigint,
	coalesce(bigint_sum(k), 0), 0::bigint, 0::bigint, 0::bigint
FROM (
	SELECT gender::text AS d0, coalesce(bigint_sum(n - 1), 0) AS n, coalesce(bigint_sum((n - 1) * lk), 0) AS k
	FROM (
		SELECT user_id, gender, count(*) AS n, min(learner_key) AS lk
		FROM report_mover_profiles
		GROUP BY user_id, GROUPING SETS ((gender), ())) b
	WHERE n > 1
	GROUP BY gender
	UNION ALL
	SELECT a_gender::text AS d0, coalesce(bigint_sum(movers), 0) AS n, coalesce(bigint_sum(mover_keys), 0) AS k
	FROM report_mover_pairs WHERE a_gender = b_gender
	GROUP BY a_gender
	UNION ALL
	SELECT NULL::text, coalesce(bigint_sum(movers), 0), coalesce(bigint_sum(mover_keys), 0)
	FROM report_mover_pairs) o
GROUP BY d0;

-- rows, args []
SELECT audience::text AS d0, to_char(month, 'YYYY-MM') AS d1,
	coalesce(bigint_sum(learners), 0), coalesce(bigint_sum(enrollments), 0),
	coalesce(bigint_sum(completions), 0), coalesce(bigint_sum(certificates), 0),
	coalesce(bigint_sum(learner_keys), 0), coalesce(bigint_sum(enrollment_keys), 0),
	coalesce(bigint_sum(completion_keys), 0), coalesce(bigint_sum(certificate_keys), 0)
FROM report_month_cells
GROUP BY audience, month;

-- rows: overlaps to subtract, args []
SELECT d0, d1,
	coalesce(bigint_sum(n), 0), 0::bigint, 0::bigint, 0::bigint,
	coalesce(bigint_sum(k), 0), 0::bigint, 0::bigint, 0::bigint
FROM (
	SELECT audience::text AS d0, to_char(month, 'YYYY-MM') AS d1, coalesce(bigint_sum(n - 1), 0) AS n, coalesce(bigint_sum((n - 1) * lk), 0) AS k
	FROM (
		SELECT user_id, audience, month, count(*) AS n, min(learner_key) AS lk
		FROM report_month_movers
		GROUP BY user_id, audience, month) b
	WHERE n > 1
	GROUP BY audience, month) o
GROUP BY d0, d1;
