package notify

import "strings"

// catalog holds every user-facing string of notifications and emails, by
// language. A language or key missing here falls back to English. Values use
// {name} placeholders, filled with plain text; HTML escaping happens when the
// email is rendered.
var catalog = map[string]map[string]string{
	"en": {
		"greeting.anonymous":         "Hello,",
		"invitation.subject":         "You are invited to a course on CyberCampus",
		"invitation.intro":           "{trainer} invited you to join a group of learners (a cohort) taking the course {course} on CyberCampus, from {start} to {end}.",
		"invitation.quote":           "Your trainer wrote this name for the cohort: {cohort}",
		"invitation.how":             "To accept or decline, sign in to CyberCampus with this email address (or create an account with it) and open your invitations. Nobody joins the cohort, is enrolled or sees your progress until you accept.",
		"invitation.expires":         "You can accept until {date}.",
		"invitation.action":          "See the invitation",
		"invitation.footer":          "You receive this message because a trainer invited this email address to a CyberCampus course. If you did not expect it, ignore it: nothing happens unless you accept.",
		"greeting":                   "Hello {name},",
		"footer":                     "You receive this message because you have a CyberCampus account. You can turn these emails off in your profile's notification settings.",
		"days.one":                   "in 1 day",
		"days.other":                 "in {n} days",
		"reminder.subject":           "Keep going with {course}",
		"reminder.intro":             "It has been a while since you last studied {course}. A few minutes today keep you on track.",
		"reminder.next":              "Your next lesson: {lesson}.",
		"reminder.quizzes":           "You have finished every lesson: pass the remaining quizzes to complete the course and earn your certificate.",
		"reminder.action":            "Continue the course",
		"cohort_deadline.subject":    "Your cohort ends on {date}",
		"cohort_deadline.intro":      "Your cohort ends on {date}, {days}. Your trainer named it {cohort}.",
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
		"cohort_created.members":     "To add members, send their email addresses to {url} as JSON ({\"emails\": [...]}) or as a CSV file with an email column. Every address gets an invitation; people join the cohort and are enrolled once they accept. You can also make a join code for a classroom.",
		"cohort_created.action":      "Open the cohort",
	},
	"fr": {
		"greeting.anonymous":         "Bonjour,",
		"invitation.subject":         "Vous êtes invité(e) à un cours sur CyberCampus",
		"invitation.intro":           "{trainer} vous invite à rejoindre un groupe d'apprenants (une cohorte) qui suit le cours {course} sur CyberCampus, du {start} au {end}.",
		"invitation.quote":           "Votre formateur a donné ce nom à la cohorte : {cohort}",
		"invitation.how":             "Pour accepter ou refuser, connectez-vous à CyberCampus avec cette adresse e-mail (ou créez un compte avec elle) et ouvrez vos invitations. Personne ne rejoint la cohorte, n'est inscrit ni ne voit votre progression avant que vous acceptiez.",
		"invitation.expires":         "Vous pouvez accepter jusqu'au {date}.",
		"invitation.action":          "Voir l'invitation",
		"invitation.footer":          "Vous recevez ce message car un formateur a invité cette adresse e-mail à un cours CyberCampus. Si vous ne l'attendiez pas, ignorez-le : rien ne se passe sans votre accord.",
		"greeting":                   "Bonjour {name},",
		"footer":                     "Vous recevez ce message car vous avez un compte CyberCampus. Vous pouvez désactiver ces e-mails dans les paramètres de notification de votre profil.",
		"days.one":                   "dans 1 jour",
		"days.other":                 "dans {n} jours",
		"reminder.subject":           "Poursuivez le cours {course}",
		"reminder.intro":             "Cela fait un moment que vous n'avez pas étudié {course}. Quelques minutes aujourd'hui suffisent pour garder le rythme.",
		"reminder.next":              "Votre prochaine leçon : {lesson}.",
		"reminder.quizzes":           "Vous avez terminé toutes les leçons : réussissez les quiz restants pour terminer le cours et obtenir votre certificat.",
		"reminder.action":            "Reprendre le cours",
		"cohort_deadline.subject":    "Votre cohorte se termine le {date}",
		"cohort_deadline.intro":      "Votre cohorte se termine le {date}, {days}. Votre formateur l'a nommée {cohort}.",
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
		"cohort_created.members":     "Pour ajouter des membres, envoyez leurs adresses e-mail à {url} en JSON ({\"emails\": [...]}) ou dans un fichier CSV avec une colonne email. Chaque adresse reçoit une invitation ; les personnes rejoignent la cohorte et sont inscrites au cours quand elles l'acceptent. Vous pouvez aussi créer un code pour une classe.",
		"cohort_created.action":      "Ouvrir la cohorte",
	},
	"es": {
		"greeting.anonymous":         "Hola:",
		"invitation.subject":         "Le invitan a un curso en CyberCampus",
		"invitation.intro":           "{trainer} le invita a unirse a un grupo de estudiantes (una cohorte) que sigue el curso {course} en CyberCampus, del {start} al {end}.",
		"invitation.quote":           "Su formador dio este nombre a la cohorte: {cohort}",
		"invitation.how":             "Para aceptar o rechazar, inicie sesión en CyberCampus con esta dirección de correo (o cree una cuenta con ella) y abra sus invitaciones. Nadie se une a la cohorte, queda inscrito ni ve su progreso hasta que usted acepte.",
		"invitation.expires":         "Puede aceptar hasta el {date}.",
		"invitation.action":          "Ver la invitación",
		"invitation.footer":          "Recibe este mensaje porque un formador invitó esta dirección de correo a un curso de CyberCampus. Si no lo esperaba, ignórelo: no ocurre nada si no acepta.",
		"greeting":                   "Hola, {name}:",
		"footer":                     "Recibe este mensaje porque tiene una cuenta de CyberCampus. Puede desactivar estos correos en la configuración de notificaciones de su perfil.",
		"days.one":                   "dentro de 1 día",
		"days.other":                 "dentro de {n} días",
		"reminder.subject":           "Siga adelante con {course}",
		"reminder.intro":             "Hace tiempo que no estudia {course}. Unos minutos hoy le ayudan a mantener el ritmo.",
		"reminder.next":              "Su próxima lección: {lesson}.",
		"reminder.quizzes":           "Ha terminado todas las lecciones: apruebe los cuestionarios pendientes para completar el curso y obtener su certificado.",
		"reminder.action":            "Continuar el curso",
		"cohort_deadline.subject":    "Su cohorte termina el {date}",
		"cohort_deadline.intro":      "Su cohorte termina el {date}, {days}. Su formador la llamó {cohort}.",
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
		"cohort_created.members":     "Para añadir miembros, envíe sus direcciones de correo a {url} en JSON ({\"emails\": [...]}) o en un archivo CSV con una columna email. Cada dirección recibe una invitación; las personas se unen a la cohorte y quedan inscritas en el curso cuando la aceptan. También puede crear un código para una clase.",
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
