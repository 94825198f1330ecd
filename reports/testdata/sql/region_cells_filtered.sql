-- group_by=disability,education_level&region=africa

-- rows, totals and the gender margin, args ["africa"]
SELECT disability::text AS d0, education_level::text AS d1, gender::text AS d2,
	coalesce(bigint_sum(learners), 0), coalesce(bigint_sum(enrollments), 0),
	coalesce(bigint_sum(completions), 0), coalesce(bigint_sum(certificates), 0),
	coalesce(bigint_sum(learner_keys), 0), coalesce(bigint_sum(enrollment_keys), 0),
	coalesce(bigint_sum(completion_keys), 0), coalesce(bigint_sum(certificate_keys), 0)
FROM report_region_cells WHERE region = $1
GROUP BY GROUPING SETS ((disability, education_level), (gender), ())
HAVING (disability IS NOT NULL OR GROUPING(disability) = 1) AND (education_level IS NOT NULL OR GROUPING(education_level) = 1) AND (gender IS NOT NULL OR GROUPING(gender) = 1);
