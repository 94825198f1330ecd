package notify

import "strings"

// catalog holds every user-facing string of notifications and emails, by
// language. A language or key missing here falls back to English. Values use
// {name} placeholders, filled with plain text; HTML escaping happens when the
// email is rendered.
var catalog = map[string]map[string]string{
	"en": {
		"greeting":                   "Hello {name},",
		"footer":                     "You receive this message because you have a CyberCampus account. You can turn these emails off in your profile's notification settings.",
		"days.one":                   "in 1 day",
		"days.other":                 "in {n} days",
		"reminder.subject":           "Keep going with {course}",
		"reminder.intro":             "It has been a while since you last studied {course}. A few minutes today keep you on track.",
		"reminder.next":              "Your next lesson: {lesson}.",
		"reminder.quizzes":           "You have finished every lesson: pass the remaining quizzes to complete the course and earn your certificate.",
		"reminder.action":            "Continue the course",
		"cohort_deadline.subject":    "{cohort} ends on {date}",
		"cohort_deadline.intro":      "Your cohort {cohort} ends on {date}, {days}.",
		"cohort_deadline.progress":   "You have completed {percent}% of {course}. Finish it before the end of the cohort to earn your certificate.",
		"cohort_deadline.action":     "Continue the course",
		"digest.subject":             "Your cohorts this week ({week})",
		"digest.intro":               "Here is how your cohorts are doing this week.",
		"digest.cohort":              "{cohort} ({course}, {start} to {end}): {members} members, {active} active this week, {completed} completed, {behind} behind schedule.",
		"digest.behind":              "Behind schedule: a member who has not completed the course and whose progress is below the share of the cohort's time already elapsed.",
		"certificate_issued.subject": "Your certificate for {course}",
		"certificate_issued.intro":   "Congratulations! You completed {course} and earned a certificate.",
		"certificate_issued.share":   "Anyone can check your certificate at its verification page.",
		"certificate_issued.action":  "View your certificate",
		"cohort_created.subject":     "Your cohort {cohort} is ready",
		"cohort_created.intro":       "Your cohort {cohort} for the course {course} runs from {start} to {end}.",
		"cohort_created.members":     "To add members, send their email addresses to {url} as JSON ({\"emails\": [...]}) or as a CSV file with an email column. Members are enrolled in the course at once.",
		"cohort_created.action":      "Open the cohort",
	},
	"fr": {
		"greeting":                   "Bonjour {name},",
		"footer":                     "Vous recevez ce message car vous avez un compte CyberCampus. Vous pouvez désactiver ces e-mails dans les paramètres de notification de votre profil.",
		"days.one":                   "dans 1 jour",
		"days.other":                 "dans {n} jours",
		"reminder.subject":           "Poursuivez le cours {course}",
		"reminder.intro":             "Cela fait un moment que vous n'avez pas étudié {course}. Quelques minutes aujourd'hui suffisent pour garder le rythme.",
		"reminder.next":              "Votre prochaine leçon : {lesson}.",
		"reminder.quizzes":           "Vous avez terminé toutes les leçons : réussissez les quiz restants pour terminer le cours et obtenir votre certificat.",
		"reminder.action":            "Reprendre le cours",
		"cohort_deadline.subject":    "{cohort} se termine le {date}",
		"cohort_deadline.intro":      "Votre cohorte {cohort} se termine le {date}, {days}.",
		"cohort_deadline.progress":   "Vous avez terminé {percent} % de {course}. Terminez-le avant la fin de la cohorte pour obtenir votre certificat.",
		"cohort_deadline.action":     "Reprendre le cours",
		"digest.subject":             "Vos cohortes cette semaine ({week})",
		"digest.intro":               "Voici où en sont vos cohortes cette semaine.",
		"digest.cohort":              "{cohort} ({course}, du {start} au {end}) : {members} membres, {active} actifs cette semaine, {completed} ont terminé, {behind} en retard.",
		"digest.behind":              "En retard : un membre qui n'a pas terminé le cours et dont la progression est inférieure à la part du temps de la cohorte déjà écoulée.",
		"certificate_issued.subject": "Votre certificat pour {course}",
		"certificate_issued.intro":   "Félicitations ! Vous avez terminé {course} et obtenu un certificat.",
		"certificate_issued.share":   "Chacun peut vérifier votre certificat sur sa page de vérification.",
		"certificate_issued.action":  "Voir votre certificat",
		"cohort_created.subject":     "Votre cohorte {cohort} est prête",
		"cohort_created.intro":       "Votre cohorte {cohort} pour le cours {course} se déroule du {start} au {end}.",
		"cohort_created.members":     "Pour ajouter des membres, envoyez leurs adresses e-mail à {url} en JSON ({\"emails\": [...]}) ou dans un fichier CSV avec une colonne email. Les membres sont inscrits au cours immédiatement.",
		"cohort_created.action":      "Ouvrir la cohorte",
	},
	"es": {
		"greeting":                   "Hola, {name}:",
		"footer":                     "Recibe este mensaje porque tiene una cuenta de CyberCampus. Puede desactivar estos correos en la configuración de notificaciones de su perfil.",
		"days.one":                   "dentro de 1 día",
		"days.other":                 "dentro de {n} días",
		"reminder.subject":           "Siga adelante con {course}",
		"reminder.intro":             "Hace tiempo que no estudia {course}. Unos minutos hoy le ayudan a mantener el ritmo.",
		"reminder.next":              "Su próxima lección: {lesson}.",
		"reminder.quizzes":           "Ha terminado todas las lecciones: apruebe los cuestionarios pendientes para completar el curso y obtener su certificado.",
		"reminder.action":            "Continuar el curso",
		"cohort_deadline.subject":    "{cohort} termina el {date}",
		"cohort_deadline.intro":      "Su cohorte {cohort} termina el {date}, {days}.",
		"cohort_deadline.progress":   "Ha completado el {percent} % de {course}. Termínelo antes del final de la cohorte para obtener su certificado.",
		"cohort_deadline.action":     "Continuar el curso",
		"digest.subject":             "Sus cohortes esta semana ({week})",
		"digest.intro":               "Así van sus cohortes esta semana.",
		"digest.cohort":              "{cohort} ({course}, del {start} al {end}): {members} miembros, {active} activos esta semana, {completed} han terminado, {behind} atrasados.",
		"digest.behind":              "Atrasado: un miembro que no ha terminado el curso y cuyo progreso es inferior a la parte del tiempo de la cohorte ya transcurrida.",
		"certificate_issued.subject": "Su certificado de {course}",
		"certificate_issued.intro":   "¡Enhorabuena! Ha completado {course} y ha obtenido un certificado.",
		"certificate_issued.share":   "Cualquiera puede comprobar su certificado en su página de verificación.",
		"certificate_issued.action":  "Ver su certificado",
		"cohort_created.subject":     "Su cohorte {cohort} está lista",
		"cohort_created.intro":       "Su cohorte {cohort} del curso {course} se desarrolla del {start} al {end}.",
		"cohort_created.members":     "Para añadir miembros, envíe sus direcciones de correo a {url} en JSON ({\"emails\": [...]}) o en un archivo CSV con una columna email. Los miembros quedan inscritos en el curso de inmediato.",
		"cohort_created.action":      "Abrir la cohorte",
	},
}

// lang picks the catalog language for a user's language, English when the
// catalog does not have it.
func lang(l string) string {
	if _, ok := catalog[l]; ok {
		return l
	}
	return "en"
}

// tr returns the string for key in language l with {placeholders} filled from
// kv (name, value pairs).
func tr(l, key string, kv ...string) string {
	s, ok := catalog[lang(l)][key]
	if !ok {
		s = catalog["en"][key]
	}
	pairs := make([]string, 0, len(kv))
	for i := 0; i+1 < len(kv); i += 2 {
		pairs = append(pairs, "{"+kv[i]+"}", kv[i+1])
	}
	return strings.NewReplacer(pairs...).Replace(s)
}
