-- group_by=country,age_band

-- totals and the gender margin, args []
SELECT gender::text AS d0,
	coalesce(bigint_sum(learners), 0), coalesce(bigint_sum(enrollments), 0),
	coalesce(bigint_sum(completions), 0), coalesce(bigint_sum(certificates), 0),
	coalesce(bigint_sum(learner_keys), 0), coalesce(bigint_sum(enrollment_keys), 0),
	coalesce(bigint_sum(completion_keys), 0), coalesce(bigint_sum(certificate_keys), 0)
FROM report_region_cells
GROUP BY GROUPING SETS ((gender), ())
HAVING (gender IS NOT NULL OR GROUPING(gender) = 1);

-- rows, args []
SELECT country::text AS d0, age_band::text AS d1,
	coalesce(bigint_sum(learners), 0), coalesce(bigint_sum(enrollments), 0),
	coalesce(bigint_sum(completions), 0), coalesce(bigint_sum(certificates), 0),
	coalesce(bigint_sum(learner_keys), 0), coalesce(bigint_sum(enrollment_keys), 0),
	coalesce(bigint_sum(completion_keys), 0), coalesce(bigint_sum(certificate_keys), 0)
FROM report_learner_cells
GROUP BY country, age_band
HAVING (country IS NOT NULL OR GROUPING(country) = 1) AND (age_band IS NOT NULL OR GROUPING(age_band) = 1);
