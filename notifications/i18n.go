package notifications

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
		"certificate_issued.share":   "Anyone can check your certificate at its verification page: {url}",
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
		"certificate_issued.share":   "Chacun peut vérifier votre certificat sur sa page de vérification : {url}",
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
		"certificate_issued.share":   "Cualquiera puede comprobar su certificado en su página de verificación: {url}",
		"certificate_issued.action":  "Ver su certificado",
		"cohort_created.subject":     "Su cohorte {cohort} está lista",
		"cohort_created.intro":       "Su cohorte {cohort} del curso {course} se desarrolla del {start} al {end}.",
		"cohort_created.members":     "Para añadir miembros, envíe sus direcciones de correo a {url} en JSON ({\"emails\": [...]}) o en un archivo CSV con una columna email. Cada dirección recibe una invitación; las personas se unen a la cohorte y quedan inscritas en el curso cuando la aceptan. También puede crear un código para una clase.",
		"cohort_created.action":      "Abrir la cohorte",
	},
	"ar": {
		"greeting.anonymous":         "مرحبا،",
		"invitation.subject":         "أنت مدعو إلى دورة على CyberCampus",
		"invitation.intro":           "دعاك {trainer} إلى الانضمام إلى مجموعة من المتعلمين (دفعة) تتابع دورة {course} على CyberCampus، من {start} إلى {end}.",
		"invitation.quote":           "كتب مدربك هذا الاسم للدفعة: {cohort}",
		"invitation.how":             "لقبول الدعوة أو رفضها، سجّل الدخول إلى CyberCampus بعنوان البريد الإلكتروني هذا (أو أنشئ حسابا به) وافتح دعواتك. لا ينضم أحد إلى الدفعة ولا يُسجَّل ولا يرى تقدمك قبل أن تقبل.",
		"invitation.expires":         "يمكنك القبول حتى {date}.",
		"invitation.action":          "عرض الدعوة",
		"invitation.footer":          "تصلك هذه الرسالة لأن مدربا دعا عنوان البريد الإلكتروني هذا إلى دورة على CyberCampus. إن لم تكن تتوقعها فتجاهلها: لا يحدث شيء ما لم تقبل.",
		"greeting":                   "مرحبا {name}،",
		"footer":                     "تصلك هذه الرسالة لأن لديك حسابا في CyberCampus. يمكنك إيقاف هذه الرسائل من إعدادات الإشعارات في ملفك الشخصي.",
		"days.one":                   "بعد يوم واحد",
		"days.two":                   "بعد يومين",
		"days.few":                   "بعد {n} أيام",
		"days.many":                  "بعد {n} يوما",
		"days.other":                 "بعد {n} يوم",
		"reminder.subject":           "تابع دورة {course}",
		"reminder.intro":             "مضى وقت منذ آخر مرة درست فيها {course}. بضع دقائق اليوم تبقيك على المسار.",
		"reminder.next":              "درسك التالي: {lesson}.",
		"reminder.quizzes":           "أنهيت جميع الدروس: اجتز الاختبارات المتبقية لإتمام الدورة والحصول على شهادتك.",
		"reminder.action":            "متابعة الدورة",
		"cohort_deadline.subject":    "ينتهي {cohort} في {date}",
		"cohort_deadline.intro":      "ينتهي فوجك {cohort} في {date}، {days}.",
		"cohort_deadline.progress":   "أتممت {percent}% من {course}. أكمل الدورة قبل نهاية الفوج للحصول على شهادتك.",
		"cohort_deadline.action":     "متابعة الدورة",
		"digest.subject":             "أفواجك هذا الأسبوع ({week})",
		"digest.intro":               "إليك سير أفواجك هذا الأسبوع.",
		"digest.cohort":              "{cohort} ({course}، من {start} إلى {end}): {members} أعضاء، {active} نشطون هذا الأسبوع، {completed} أتموا، {behind} متأخرون عن الجدول.",
		"digest.behind":              "متأخر عن الجدول: عضو لم يتم الدورة وتقدمه أقل من نسبة الوقت المنقضي من مدة الفوج.",
		"certificate_issued.subject": "شهادتك لدورة {course}",
		"certificate_issued.intro":   "تهانينا! أتممت {course} وحصلت على شهادة.",
		"certificate_issued.share":   "يمكن لأي شخص التحقق من شهادتك في صفحة التحقق الخاصة بها: {url}",
		"certificate_issued.action":  "عرض شهادتك",
		"cohort_created.subject":     "فوجك {cohort} جاهز",
		"cohort_created.intro":       "يمتد فوجك {cohort} لدورة {course} من {start} إلى {end}.",
		"cohort_created.members":     "لإضافة أعضاء، أرسل عناوين بريدهم الإلكتروني إلى {url} بصيغة JSON ({\"emails\": [...]}) أو في ملف CSV يحتوي على عمود email. يسجل الأعضاء في الدورة فورا.",
		"cohort_created.action":      "فتح الفوج",
	},
	"ru": {
		"greeting.anonymous":         "Здравствуйте!",
		"invitation.subject":         "Вас приглашают на курс в CyberCampus",
		"invitation.intro":           "{trainer} приглашает вас в группу слушателей (когорту), которая проходит курс {course} в CyberCampus с {start} по {end}.",
		"invitation.quote":           "Ваш преподаватель дал когорте такое название: {cohort}",
		"invitation.how":             "Чтобы принять или отклонить приглашение, войдите в CyberCampus с этим адресом электронной почты (или создайте с ним учётную запись) и откройте свои приглашения. Никто не попадает в когорту, не зачисляется на курс и не видит ваш прогресс, пока вы не согласитесь.",
		"invitation.expires":         "Принять приглашение можно до {date}.",
		"invitation.action":          "Открыть приглашение",
		"invitation.footer":          "Вы получили это письмо, потому что преподаватель пригласил этот адрес на курс CyberCampus. Если вы его не ждали, просто проигнорируйте: без вашего согласия ничего не произойдёт.",
		"greeting":                   "Здравствуйте, {name}!",
		"footer":                     "Вы получили это письмо, потому что у вас есть учётная запись CyberCampus. Эти письма можно отключить в настройках уведомлений вашего профиля.",
		"days.one":                   "через {n} день",
		"days.few":                   "через {n} дня",
		"days.many":                  "через {n} дней",
		"days.other":                 "через {n} дня",
		"reminder.subject":           "Продолжите курс «{course}»",
		"reminder.intro":             "Вы давно не занимались курсом «{course}». Несколько минут сегодня помогут не отстать.",
		"reminder.next":              "Следующий урок: {lesson}.",
		"reminder.quizzes":           "Вы прошли все уроки: сдайте оставшиеся тесты, чтобы завершить курс и получить сертификат.",
		"reminder.action":            "Продолжить курс",
		"cohort_deadline.subject":    "Группа {cohort} завершается {date}",
		"cohort_deadline.intro":      "Ваша группа {cohort} завершается {date}, {days}.",
		"cohort_deadline.progress":   "Вы прошли {percent}% курса «{course}». Завершите его до окончания работы группы, чтобы получить сертификат.",
		"cohort_deadline.action":     "Продолжить курс",
		"digest.subject":             "Ваши группы на этой неделе ({week})",
		"digest.intro":               "Вот как идут дела у ваших групп на этой неделе.",
		"digest.cohort":              "{cohort} ({course}, с {start} по {end}): участников — {members}, активных на этой неделе — {active}, завершили — {completed}, отстают от графика — {behind}.",
		"digest.behind":              "Отстаёт от графика: участник, который не завершил курс и чей прогресс меньше доли уже прошедшего времени работы группы.",
		"certificate_issued.subject": "Ваш сертификат за курс «{course}»",
		"certificate_issued.intro":   "Поздравляем! Вы завершили курс «{course}» и получили сертификат.",
		"certificate_issued.share":   "Любой может проверить ваш сертификат на странице его проверки: {url}",
		"certificate_issued.action":  "Открыть сертификат",
		"cohort_created.subject":     "Ваша группа {cohort} готова",
		"cohort_created.intro":       "Ваша группа {cohort} по курсу «{course}» работает с {start} по {end}.",
		"cohort_created.members":     "Чтобы добавить участников, отправьте их адреса электронной почты на {url} в формате JSON ({\"emails\": [...]}) или CSV-файлом со столбцом email. Участники сразу записываются на курс.",
		"cohort_created.action":      "Открыть группу",
	},
	"zh": {
		"greeting.anonymous":         "您好：",
		"invitation.subject":         "您受邀参加 CyberCampus 上的课程",
		"invitation.intro":           "{trainer} 邀请您加入在 CyberCampus 上学习课程 {course} 的学员小组（班级），时间为 {start} 至 {end}。",
		"invitation.quote":           "您的培训师为该班级起的名称是：{cohort}",
		"invitation.how":             "如需接受或拒绝，请使用此电子邮件地址登录 CyberCampus（或用它创建账户），然后打开您的邀请。在您接受之前，没有人会加入班级、被注册或看到您的进度。",
		"invitation.expires":         "您可以在 {date} 之前接受。",
		"invitation.action":          "查看邀请",
		"invitation.footer":          "您收到此邮件是因为一位培训师邀请此电子邮件地址参加 CyberCampus 课程。如果您并未预期此邮件，请忽略：除非您接受，否则不会发生任何事。",
		"greeting":                   "{name}，您好：",
		"footer":                     "您收到此邮件是因为您拥有 CyberCampus 账户。您可以在个人资料的通知设置中关闭这些邮件。",
		"days.one":                   "还有 1 天",
		"days.other":                 "还有 {n} 天",
		"reminder.subject":           "继续学习《{course}》",
		"reminder.intro":             "您已有一段时间没有学习《{course}》了。今天花几分钟，就能保持进度。",
		"reminder.next":              "下一课：{lesson}。",
		"reminder.quizzes":           "您已学完所有课时：通过剩余的测验即可完成课程并获得证书。",
		"reminder.action":            "继续学习",
		"cohort_deadline.subject":    "{cohort} 将于 {date} 结束",
		"cohort_deadline.intro":      "您的学习小组 {cohort} 将于 {date} 结束，{days}。",
		"cohort_deadline.progress":   "您已完成《{course}》的 {percent}%。请在学习小组结束前完成课程，以获得证书。",
		"cohort_deadline.action":     "继续学习",
		"digest.subject":             "您的学习小组本周概况（{week}）",
		"digest.intro":               "以下是您的学习小组本周的进展情况。",
		"digest.cohort":              "{cohort}（{course}，{start} 至 {end}）：{members} 名成员，本周活跃 {active} 名，已完成 {completed} 名，落后于进度 {behind} 名。",
		"digest.behind":              "落后于进度：尚未完成课程，且学习进度低于学习小组已过去时间比例的成员。",
		"certificate_issued.subject": "您的《{course}》证书",
		"certificate_issued.intro":   "恭喜！您已完成《{course}》并获得证书。",
		"certificate_issued.share":   "任何人都可以在证书的验证页面上核验您的证书：{url}",
		"certificate_issued.action":  "查看证书",
		"cohort_created.subject":     "您的学习小组 {cohort} 已创建",
		"cohort_created.intro":       "您为课程《{course}》创建的学习小组 {cohort} 的时间为 {start} 至 {end}。",
		"cohort_created.members":     "如需添加成员，请将他们的电子邮件地址以 JSON 格式（{\"emails\": [...]}）或包含 email 列的 CSV 文件发送至 {url}。成员将立即注册该课程。",
		"cohort_created.action":      "打开学习小组",
	},
}

// pluralForm is the CLDR plural category of n in l among those the catalog
// uses for counts other than 1: Arabic has a dual and forms for 3 to 10 and
// 11 to 99, Russian forms for 2 to 4 and 5 to 20 (by the last digits).
func pluralForm(l string, n int) string {
	switch l {
	case "ar":
		switch m := n % 100; {
		case n == 2:
			return "two"
		case m >= 3 && m <= 10:
			return "few"
		case m >= 11 && m <= 99:
			return "many"
		}
	case "ru":
		switch m10, m100 := n%10, n%100; {
		case m10 == 1 && m100 != 11:
			return "one"
		case m10 >= 2 && m10 <= 4 && (m100 < 12 || m100 > 14):
			return "few"
		default:
			return "many"
		}
	}
	return "other"
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
