package notifications

import (
	"strconv"
	"strings"
)

// accountCatalog holds the account emails (password reset, lockout, email
// verification) in every language the API accepts. They are kept apart from
// catalog, whose notifications fall back to English key by key: an account
// email is complete in each of the six languages or not sent in it.
var accountCatalog = map[string]map[string]string{
	"en": {
		"greeting":                   "Hello {name},",
		"footer":                     "You receive this message because this address belongs to a CyberCampus account. It is sent whatever your notification settings are.",
		"ignore":                     "If you did not ask for this, you can ignore this message: nothing changes.",
		"expires":                    "The link works once and expires in {minutes} minutes.",
		"expires_hours":              "The link works once and expires in {hours} hours.",
		"password_reset.subject":     "Reset your CyberCampus password",
		"password_reset.intro":       "Someone, probably you, asked to reset the password of your CyberCampus account. Choose a new password with the link below; every device signed in to your account will be signed out.",
		"password_reset.action":      "Choose a new password",
		"account_locked.subject":     "Many failed sign-ins to your CyberCampus account",
		"account_locked.intro":       "There were many failed attempts to sign in to your account, so signing in is paused for a while. If it was not you, your password was not revealed; to sign in now, choose a new password with the link below.",
		"account_locked.action":      "Choose a new password",
		"email_verification.subject": "Confirm your email address for CyberCampus",
		"email_verification.intro":   "Please confirm that this address is yours to finish setting up your CyberCampus account.",
		"email_verification.action":  "Confirm my email address",
		"email_verification.ignore":  "If you did not create a CyberCampus account, someone typed your address by mistake; ignore this message and the account stays unconfirmed.",
	},
	"fr": {
		"greeting":                   "Bonjour {name},",
		"footer":                     "Vous recevez ce message car cette adresse appartient à un compte CyberCampus. Il est envoyé quels que soient vos paramètres de notification.",
		"ignore":                     "Si vous n'êtes pas à l'origine de cette demande, ignorez ce message : rien ne change.",
		"expires":                    "Le lien ne fonctionne qu'une fois et expire dans {minutes} minutes.",
		"expires_hours":              "Le lien ne fonctionne qu'une fois et expire dans {hours} heures.",
		"password_reset.subject":     "Réinitialisez votre mot de passe CyberCampus",
		"password_reset.intro":       "Quelqu'un, sans doute vous, a demandé à réinitialiser le mot de passe de votre compte CyberCampus. Choisissez un nouveau mot de passe avec le lien ci-dessous ; tous les appareils connectés à votre compte seront déconnectés.",
		"password_reset.action":      "Choisir un nouveau mot de passe",
		"account_locked.subject":     "Nombreuses tentatives de connexion échouées sur votre compte CyberCampus",
		"account_locked.intro":       "De nombreuses tentatives de connexion à votre compte ont échoué ; la connexion est donc suspendue un moment. Si ce n'était pas vous, votre mot de passe n'a pas été révélé ; pour vous connecter dès maintenant, choisissez un nouveau mot de passe avec le lien ci-dessous.",
		"account_locked.action":      "Choisir un nouveau mot de passe",
		"email_verification.subject": "Confirmez votre adresse e-mail pour CyberCampus",
		"email_verification.intro":   "Veuillez confirmer que cette adresse est bien la vôtre pour terminer la création de votre compte CyberCampus.",
		"email_verification.action":  "Confirmer mon adresse e-mail",
		"email_verification.ignore":  "Si vous n'avez pas créé de compte CyberCampus, quelqu'un a saisi votre adresse par erreur ; ignorez ce message et le compte restera non confirmé.",
	},
	"es": {
		"greeting":                   "Hola, {name}:",
		"footer":                     "Recibe este mensaje porque esta dirección pertenece a una cuenta de CyberCampus. Se envía sea cual sea su configuración de notificaciones.",
		"ignore":                     "Si no lo ha solicitado, puede ignorar este mensaje: no cambia nada.",
		"expires":                    "El enlace funciona una sola vez y caduca en {minutes} minutos.",
		"expires_hours":              "El enlace funciona una sola vez y caduca en {hours} horas.",
		"password_reset.subject":     "Restablezca su contraseña de CyberCampus",
		"password_reset.intro":       "Alguien, probablemente usted, ha pedido restablecer la contraseña de su cuenta de CyberCampus. Elija una contraseña nueva con el enlace siguiente; se cerrará la sesión en todos los dispositivos conectados a su cuenta.",
		"password_reset.action":      "Elegir una contraseña nueva",
		"account_locked.subject":     "Muchos intentos fallidos de acceso a su cuenta de CyberCampus",
		"account_locked.intro":       "Ha habido muchos intentos fallidos de acceder a su cuenta, por lo que el acceso queda en pausa durante un tiempo. Si no ha sido usted, su contraseña no ha quedado al descubierto; para acceder ahora, elija una contraseña nueva con el enlace siguiente.",
		"account_locked.action":      "Elegir una contraseña nueva",
		"email_verification.subject": "Confirme su dirección de correo para CyberCampus",
		"email_verification.intro":   "Confirme que esta dirección es suya para terminar de configurar su cuenta de CyberCampus.",
		"email_verification.action":  "Confirmar mi dirección de correo",
		"email_verification.ignore":  "Si no ha creado una cuenta de CyberCampus, alguien ha escrito su dirección por error; ignore este mensaje y la cuenta quedará sin confirmar.",
	},
	"ar": {
		"greeting":                   "مرحبًا {name}،",
		"footer":                     "تصلك هذه الرسالة لأن هذا العنوان مرتبط بحساب في CyberCampus. تُرسل هذه الرسالة أيًّا كانت إعدادات الإشعارات لديك.",
		"ignore":                     "إذا لم تطلب ذلك، يمكنك تجاهل هذه الرسالة: لن يتغير شيء.",
		"expires":                    "يعمل الرابط مرة واحدة فقط وتنتهي صلاحيته خلال {minutes} دقيقة.",
		"expires_hours":              "يعمل الرابط مرة واحدة فقط وتنتهي صلاحيته خلال {hours} ساعة.",
		"password_reset.subject":     "إعادة تعيين كلمة المرور في CyberCampus",
		"password_reset.intro":       "طلب شخص ما، ربما أنت، إعادة تعيين كلمة مرور حسابك في CyberCampus. اختر كلمة مرور جديدة من خلال الرابط أدناه؛ وسيُسجَّل الخروج من جميع الأجهزة المتصلة بحسابك.",
		"password_reset.action":      "اختيار كلمة مرور جديدة",
		"account_locked.subject":     "محاولات كثيرة فاشلة لتسجيل الدخول إلى حسابك في CyberCampus",
		"account_locked.intro":       "جرت محاولات كثيرة فاشلة لتسجيل الدخول إلى حسابك، لذا أُوقف تسجيل الدخول مؤقتًا. إذا لم تكن أنت، فكلمة مرورك لم تنكشف؛ ولتسجيل الدخول الآن، اختر كلمة مرور جديدة من خلال الرابط أدناه.",
		"account_locked.action":      "اختيار كلمة مرور جديدة",
		"email_verification.subject": "تأكيد عنوان بريدك الإلكتروني في CyberCampus",
		"email_verification.intro":   "يُرجى تأكيد أن هذا العنوان يخصك لإكمال إعداد حسابك في CyberCampus.",
		"email_verification.action":  "تأكيد عنوان بريدي الإلكتروني",
		"email_verification.ignore":  "إذا لم تُنشئ حسابًا في CyberCampus، فقد كتب أحدهم عنوانك عن طريق الخطأ؛ تجاهل هذه الرسالة وسيبقى الحساب غير مؤكَّد.",
	},
	"ru": {
		"greeting":                   "Здравствуйте, {name}!",
		"footer":                     "Вы получили это письмо, потому что этот адрес принадлежит учётной записи CyberCampus. Оно отправляется независимо от ваших настроек уведомлений.",
		"ignore":                     "Если вы этого не запрашивали, просто проигнорируйте письмо: ничего не изменится.",
		"expires":                    "Ссылка действует один раз и истекает через {minutes} мин.",
		"expires_hours":              "Ссылка действует один раз и истекает через {hours} ч.",
		"password_reset.subject":     "Сброс пароля CyberCampus",
		"password_reset.intro":       "Кто-то, вероятно вы, запросил сброс пароля вашей учётной записи CyberCampus. Задайте новый пароль по ссылке ниже; на всех устройствах, где выполнен вход в вашу учётную запись, сеанс будет завершён.",
		"password_reset.action":      "Задать новый пароль",
		"account_locked.subject":     "Много неудачных попыток входа в вашу учётную запись CyberCampus",
		"account_locked.intro":       "Было много неудачных попыток входа в вашу учётную запись, поэтому вход временно приостановлен. Если это были не вы, ваш пароль не раскрыт; чтобы войти сейчас, задайте новый пароль по ссылке ниже.",
		"account_locked.action":      "Задать новый пароль",
		"email_verification.subject": "Подтвердите адрес электронной почты для CyberCampus",
		"email_verification.intro":   "Подтвердите, что этот адрес принадлежит вам, чтобы завершить настройку учётной записи CyberCampus.",
		"email_verification.action":  "Подтвердить адрес",
		"email_verification.ignore":  "Если вы не создавали учётную запись CyberCampus, кто-то ввёл ваш адрес по ошибке; проигнорируйте это письмо, и учётная запись останется неподтверждённой.",
	},
	"zh": {
		"greeting":                   "{name}，您好：",
		"footer":                     "您收到此邮件，是因为该地址属于一个 CyberCampus 账户。无论您的通知设置如何，此类邮件都会发送。",
		"ignore":                     "如果这不是您本人的请求，请忽略此邮件：不会有任何改变。",
		"expires":                    "该链接只能使用一次，并将在 {minutes} 分钟后失效。",
		"expires_hours":              "该链接只能使用一次，并将在 {hours} 小时后失效。",
		"password_reset.subject":     "重置您的 CyberCampus 密码",
		"password_reset.intro":       "有人（可能是您本人）请求重置您 CyberCampus 账户的密码。请通过下面的链接设置新密码；所有已登录您账户的设备都将退出登录。",
		"password_reset.action":      "设置新密码",
		"account_locked.subject":     "您的 CyberCampus 账户有多次登录失败",
		"account_locked.intro":       "您的账户出现多次登录失败，因此登录已暂停一段时间。如果不是您本人操作，您的密码并未泄露；如需立即登录，请通过下面的链接设置新密码。",
		"account_locked.action":      "设置新密码",
		"email_verification.subject": "确认您在 CyberCampus 使用的电子邮件地址",
		"email_verification.intro":   "请确认该地址属于您，以完成 CyberCampus 账户的设置。",
		"email_verification.action":  "确认我的电子邮件地址",
		"email_verification.ignore":  "如果您没有创建 CyberCampus 账户，那是有人误填了您的地址；请忽略此邮件，该账户将保持未确认状态。",
	},
}

// AccountEmail is one account email to send: its kind (jobs.AccountEmail*),
// the person, and the link carrying the single-use token.
type AccountEmail struct {
	Kind    string
	To      string // address
	Name    string
	Lang    string
	Link    string
	Expires int // minutes the link is valid
}

// ComposeAccount renders an account email in the person's language (English
// when the API's language is unknown here). It reports false for an unknown kind.
func ComposeAccount(a AccountEmail) (Message, bool) {
	l := a.Lang
	if _, ok := accountCatalog[l]; !ok {
		l = "en"
	}
	t := func(key string, kv ...string) string {
		pairs := make([]string, 0, len(kv))
		for i := 0; i+1 < len(kv); i += 2 {
			pairs = append(pairs, "{"+kv[i]+"}", kv[i+1])
		}
		return strings.NewReplacer(pairs...).Replace(accountCatalog[l][key])
	}
	if _, ok := accountCatalog[l][a.Kind+".subject"]; !ok {
		return Message{}, false
	}
	ignore := t("ignore")
	if a.Kind == "email_verification" {
		ignore = t("email_verification.ignore")
	}
	return Message{Lang: l, Subject: t(a.Kind + ".subject"), Greeting: t("greeting", "name", a.Name),
		Lines:  []string{t(a.Kind + ".intro"), expiry(t, a.Expires), ignore},
		Action: &Action{Label: t(a.Kind + ".action"), URL: a.Link}, Footer: t("footer")}, true
}

// expiry says how long the link lives, in hours when that is a whole number.
func expiry(t func(string, ...string) string, minutes int) string {
	if minutes >= 120 && minutes%60 == 0 {
		return t("expires_hours", "hours", strconv.Itoa(minutes/60))
	}
	return t("expires", "minutes", strconv.Itoa(minutes))
}

// AccountEmailLanguages lists the languages account emails are written in.
func AccountEmailLanguages() []string {
	out := make([]string, 0, len(accountCatalog))
	for l := range accountCatalog {
		out = append(out, l)
	}
	return out
}
