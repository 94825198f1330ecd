package certification

import (
	"fmt"
	"html/template"
	"strings"
	"time"
)

// texts are the certificate's words, page and PDF, in the six UN languages.
// Values use {name} placeholders; a missing key falls back to English.
var texts = map[string]map[string]string{
	"en": {
		"learner.erased":    "Name erased at the holder's request; the signed credential the holder shows names them.",
		"page.title":        "Certificate: {course} – {issuer}",
		"heading":           "Certificate of completion",
		"status.valid":      "Valid: this certificate was issued by {issuer} and has not been revoked.",
		"status.revoked":    "Revoked: this certificate is no longer valid.",
		"status.revoked_on": "Revoked on {date}: this certificate is no longer valid.",
		"label.learner":     "Learner",
		"label.course":      "Course",
		"label.issued":      "Issued on",
		"label.issuer":      "Issuer",
		"label.id":          "Certificate ID",
		"about":             "This page is the certificate's verification address, {url}. The certificate itself is a signed Open Badges 3.0 credential: request this address with {accept} for the signed token, and check it with the issuer's public keys.",
		"languages":         "Language",
		"pdf.heading":       "Certificate of Completion",
		"pdf.certifies":     "This certifies that",
		"pdf.completed":     "has successfully completed the course",
		"pdf.issued":        "Issued on {date} by {issuer}",
		"pdf.revoked":       "REVOKED: this certificate is no longer valid",
		"pdf.verify":        "Verify this certificate at:",
		"pdf.id":            "Certificate ID: {id}",
	},
	"fr": {
		"learner.erased":    "Nom effacé à la demande du titulaire ; le justificatif signé que présente le titulaire porte son nom.",
		"page.title":        "Certificat : {course} – {issuer}",
		"heading":           "Certificat de réussite",
		"status.valid":      "Valide : ce certificat a été délivré par {issuer} et n'a pas été révoqué.",
		"status.revoked":    "Révoqué : ce certificat n'est plus valide.",
		"status.revoked_on": "Révoqué le {date} : ce certificat n'est plus valide.",
		"label.learner":     "Apprenant",
		"label.course":      "Cours",
		"label.issued":      "Délivré le",
		"label.issuer":      "Émetteur",
		"label.id":          "Identifiant du certificat",
		"about":             "Cette page est l'adresse de vérification du certificat, {url}. Le certificat lui-même est un justificatif Open Badges 3.0 signé : demandez cette adresse avec {accept} pour obtenir le jeton signé, et vérifiez-le avec les clés publiques de l'émetteur.",
		"languages":         "Langue",
		"pdf.heading":       "Certificat de réussite",
		"pdf.certifies":     "Nous certifions que",
		"pdf.completed":     "a suivi avec succès le cours",
		"pdf.issued":        "Délivré le {date} par {issuer}",
		"pdf.revoked":       "RÉVOQUÉ : ce certificat n'est plus valide",
		"pdf.verify":        "Vérifiez ce certificat à l'adresse :",
		"pdf.id":            "Identifiant du certificat : {id}",
	},
	"es": {
		"learner.erased":    "Nombre borrado a petición del titular; la credencial firmada que muestra el titular lo nombra.",
		"page.title":        "Certificado: {course} – {issuer}",
		"heading":           "Certificado de finalización",
		"status.valid":      "Válido: este certificado fue emitido por {issuer} y no ha sido revocado.",
		"status.revoked":    "Revocado: este certificado ya no es válido.",
		"status.revoked_on": "Revocado el {date}: este certificado ya no es válido.",
		"label.learner":     "Participante",
		"label.course":      "Curso",
		"label.issued":      "Fecha de emisión",
		"label.issuer":      "Emisor",
		"label.id":          "Identificador del certificado",
		"about":             "Esta página es la dirección de verificación del certificado, {url}. El certificado en sí es una credencial Open Badges 3.0 firmada: solicite esta dirección con {accept} para obtener el token firmado y verifíquelo con las claves públicas del emisor.",
		"languages":         "Idioma",
		"pdf.heading":       "Certificado de finalización",
		"pdf.certifies":     "Se certifica que",
		"pdf.completed":     "ha completado con éxito el curso",
		"pdf.issued":        "Emitido el {date} por {issuer}",
		"pdf.revoked":       "REVOCADO: este certificado ya no es válido",
		"pdf.verify":        "Verifique este certificado en:",
		"pdf.id":            "Identificador del certificado: {id}",
	},
	"ru": {
		"learner.erased":    "Имя удалено по просьбе владельца; подписанное удостоверение, которое предъявляет владелец, содержит его имя.",
		"page.title":        "Сертификат: {course} – {issuer}",
		"heading":           "Сертификат о прохождении курса",
		"status.valid":      "Действителен: сертификат выдан организацией {issuer} и не отозван.",
		"status.revoked":    "Отозван: сертификат больше не действителен.",
		"status.revoked_on": "Отозван {date}: сертификат больше не действителен.",
		"label.learner":     "Слушатель",
		"label.course":      "Курс",
		"label.issued":      "Дата выдачи",
		"label.issuer":      "Кем выдан",
		"label.id":          "Идентификатор сертификата",
		"about":             "Эта страница — адрес проверки сертификата: {url}. Сам сертификат — подписанное удостоверение Open Badges 3.0: запросите этот адрес с заголовком {accept}, чтобы получить подписанный токен, и проверьте его открытыми ключами издателя.",
		"languages":         "Язык",
		"pdf.heading":       "Сертификат о прохождении курса",
		"pdf.certifies":     "Настоящим удостоверяется, что",
		"pdf.completed":     "успешно прошёл(а) курс",
		"pdf.issued":        "Выдан {date}, {issuer}",
		"pdf.revoked":       "ОТОЗВАН: сертификат больше не действителен",
		"pdf.verify":        "Проверить сертификат:",
		"pdf.id":            "Идентификатор сертификата: {id}",
	},
	"zh": {
		"learner.erased":    "应持有人要求已删除姓名；持有人出示的已签名凭证上载有其姓名。",
		"page.title":        "证书：{course} – {issuer}",
		"heading":           "结业证书",
		"status.valid":      "有效：本证书由 {issuer} 颁发，未被撤销。",
		"status.revoked":    "已撤销：本证书不再有效。",
		"status.revoked_on": "已于 {date} 撤销：本证书不再有效。",
		"label.learner":     "学员",
		"label.course":      "课程",
		"label.issued":      "颁发日期",
		"label.issuer":      "颁发机构",
		"label.id":          "证书编号",
		"about":             "本页面是该证书的验证地址：{url}。证书本身是经过签名的 Open Badges 3.0 凭证：使用 {accept} 请求此地址可获取签名令牌，并可使用颁发机构的公钥进行验证。",
		"languages":         "语言",
		"pdf.heading":       "结业证书",
		"pdf.certifies":     "兹证明",
		"pdf.completed":     "已成功完成课程",
		"pdf.issued":        "{date} 由 {issuer} 颁发",
		"pdf.revoked":       "已撤销：本证书不再有效",
		"pdf.verify":        "验证本证书：",
		"pdf.id":            "证书编号：{id}",
	},
	"ar": {
		"learner.erased":    "حُذف الاسم بطلب من صاحب الشهادة؛ الاعتماد الموقّع الذي يعرضه صاحبه يذكر اسمه.",
		"page.title":        "شهادة: {course} – {issuer}",
		"heading":           "شهادة إتمام",
		"status.valid":      "صالحة: أصدر {issuer} هذه الشهادة ولم تلغ.",
		"status.revoked":    "ملغاة: لم تعد هذه الشهادة صالحة.",
		"status.revoked_on": "ألغيت في {date}: لم تعد هذه الشهادة صالحة.",
		"label.learner":     "المتعلم",
		"label.course":      "الدورة",
		"label.issued":      "تاريخ الإصدار",
		"label.issuer":      "الجهة المصدرة",
		"label.id":          "رقم الشهادة",
		"about":             "هذه الصفحة هي عنوان التحقق من الشهادة، {url}. الشهادة نفسها اعتماد Open Badges 3.0 موقع: اطلب هذا العنوان مع الترويسة {accept} للحصول على الرمز الموقع، وتحقق منه باستخدام المفاتيح العامة للجهة المصدرة.",
		"languages":         "اللغة",
		"pdf.heading":       "شهادة إتمام",
		"pdf.certifies":     "نشهد بأن",
		"pdf.completed":     "أتم بنجاح الدورة",
		"pdf.issued":        "صدرت في {date} عن {issuer}",
		"pdf.revoked":       "ملغاة: لم تعد هذه الشهادة صالحة",
		"pdf.verify":        "تحقق من هذه الشهادة على:",
		"pdf.id":            "رقم الشهادة: {id}",
	},
}

// text returns key in lang with its placeholders filled (pairs of name, value).
func text(lang, key string, args ...string) string {
	s, ok := texts[lang][key]
	if !ok {
		s = texts["en"][key]
	}
	for i := 0; i+1 < len(args); i += 2 {
		s = strings.ReplaceAll(s, "{"+args[i]+"}", args[i+1])
	}
	return s
}

// htmlText is text escaped for HTML with placeholders filled by markup the
// caller built safely (each value escaped by html/template first).
func htmlText(lang, key string, parts map[string]template.HTML) template.HTML {
	s := template.HTMLEscapeString(text(lang, key))
	for name, html := range parts {
		s = strings.ReplaceAll(s, "{"+name+"}", string(html))
	}
	return template.HTML(s)
}

// months are the month names as a date writes them, per language.
var months = map[string][12]string{
	"en": {"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
	"fr": {"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"},
	"es": {"enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"},
	"ru": {"января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября", "октября", "ноября", "декабря"},
	"ar": {"يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر"},
}

// formatDate writes a day as people of lang write it, in UTC.
func formatDate(lang string, t time.Time) string {
	t = t.UTC()
	d, m, y := t.Day(), t.Month(), t.Year()
	switch lang {
	case "zh":
		return fmt.Sprintf("%d年%d月%d日", y, m, d)
	case "es":
		return fmt.Sprintf("%d de %s de %d", d, months["es"][m-1], y)
	case "ru":
		return fmt.Sprintf("%d %s %d г.", d, months["ru"][m-1], y)
	}
	names, ok := months[lang]
	if !ok {
		names = months["en"]
	}
	return fmt.Sprintf("%d %s %d", d, names[m-1], y)
}
