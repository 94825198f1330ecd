-- group_by=disability,education_level&country=KE

-- rows, totals and the gender margin, args ["KE"]
SELECT disability::text AS d0, education_level::text AS d1, gender::text AS d2,
	coalesce(bigint_sum(learners), 0), coalesce(bigint_sum(enrollments), 0),
	coalesce(bigint_sum(completions), 0), coalesce(bigint_sum(certificates), 0),
	coalesce(bigint_sum(learner_keys), 0), coalesce(bigint_sum(enrollment_keys), 0),
	coalesce(bigint_sum(completion_keys), 0), coalesce(bigint_sum(certificate_keys), 0)
FROM report_learner_cells WHERE country = $1
GROUP BY GROUPING SETS ((disability, education_level), (gender), ());

-- rows: overlaps to subtract, args ["KE" "KE"]
SELECT d0, d1,
	coalesce(bigint_sum(n), 0), 0::bigint, 0::bigint, 0::bigint,
	coalesce(bigint_sum(k), 0), 0::bigint, 0::bigint, 0::bigint
FROM (
	SELECT disability::text AS d0, education_level::text AS d1, coalesce(bigint_sum(n - 1), 0) AS n, coalesce(bigint_sum((n - 1) * lk), 0) AS k
	FROM (
		SELECT user_id, disability, education_level, count(*) AS n, min(learner_key) AS lk
		FROM report_mover_profiles WHERE country = $1
		GROUP BY user_id, disability, education_level) b
	WHERE n > 1
	GROUP BY disability, education_level
	UNION ALL
	SELECT a_disability::text AS d0, a_education_level::text AS d1, coalesce(bigint_sum(movers), 0) AS n, coalesce(bigint_sum(mover_keys), 0) AS k
	FROM report_mover_pairs WHERE a_disability = b_disability AND a_education_level = b_education_level AND a_country = $2 AND b_country = $2
	GROUP BY a_disability, a_education_level) o
GROUP BY d0, d1;

-- totals and the gender margin: overlaps to subtract, args ["KE" "KE"]
SELECT d0,
	coalesce(bigint_sum(n), 0), 0::bigint, 0::bigint, 0::bigint,
	coalesce(bigint_sum(k), 0), 0::bigint, 0::bigint, 0::bigint
FROM (
	SELECT gender::text AS d0, coalesce(bigint_sum(n - 1), 0) AS n, coalesce(bigint_sum((n - 1) * lk), 0) AS k
	FROM (
		SELECT user_id, gender, count(*) AS n, min(learner_key) AS lk
		FROM report_mover_profiles WHERE country = $1
		GROUP BY user_id, GROUPING SETS ((gender), ())) b
	WHERE n > 1
	GROUP BY gender
	UNION ALL
	SELECT a_gender::text AS d0, coalesce(bigint_sum(movers), 0) AS n, coalesce(bigint_sum(mover_keys), 0) AS k
	FROM report_mover_pairs WHERE a_gender = b_gender AND a_country = $2 AND b_country = $2
	GROUP BY a_gender
	UNION ALL
	SELECT NULL::text, coalesce(bigint_sum(movers), 0), coalesce(bigint_sum(mover_keys), 0)
	FROM report_mover_pairs WHERE a_country = $2 AND b_country = $2) o
GROUP BY d0;
