package notifications

import "strings"

// Survey notification kinds (package surveys writes them).
const (
	KindSurvey         = "survey"
	KindSurveyReminder = "survey_reminder"
)

// SurveyData is the data of a survey notification or its reminder.
type SurveyData struct {
	SurveyID    string `json:"survey_id"`
	SurveyKind  string `json:"survey_kind"` // satisfaction, follow_up_90, follow_up_180
	CourseSlug  string `json:"course_slug"`
	CourseTitle string `json:"course_title"`
	URL         string `json:"url"`
}

func (d SurveyData) compose(m *Message, reminder bool) bool {
	if d.CourseTitle == "" || d.SurveyID == "" {
		return false
	}
	l := m.Lang
	topic := "follow_up"
	if d.SurveyKind == "satisfaction" {
		topic = "satisfaction"
	}
	if reminder {
		topic = "reminder"
	}
	m.Subject = surveyTr(l, topic+".subject", d.CourseTitle)
	m.Lines = []string{surveyTr(l, topic+".intro", d.CourseTitle)}
	m.Action = &Action{Label: surveyTr(l, "action", ""), URL: d.URL}
	return true
}

// surveyCatalog holds the survey messages by language, kept apart from the
// main catalog so that the surveys feature's words live together.
var surveyCatalog = map[string]map[string]string{
	"en": {
		"satisfaction.subject": "How was {course}?",
		"satisfaction.intro":   "Congratulations on completing {course}. Please tell us in two minutes what you thought of it: your answers help improve the course.",
		"follow_up.subject":    "{course}: has it made a difference?",
		"follow_up.intro":      "Some months ago you completed {course}. Three short questions: have you used what you learned at work?",
		"reminder.subject":     "Your answers about {course} are still welcome",
		"reminder.intro":       "You have not yet answered the short survey about {course}. It takes two minutes.",
		"action":               "Answer the survey",
	},
	"fr": {
		"satisfaction.subject": "Comment s'est passé le cours {course} ?",
		"satisfaction.intro":   "Félicitations, vous avez terminé le cours {course}. Dites-nous en deux minutes ce que vous en avez pensé : vos réponses aident à améliorer le cours.",
		"follow_up.subject":    "{course} : qu'est-ce que cela a changé ?",
		"follow_up.intro":      "Il y a quelques mois, vous avez terminé le cours {course}. Trois questions courtes : avez-vous mis en pratique au travail ce que vous avez appris ?",
		"reminder.subject":     "Vos réponses sur le cours {course} sont toujours les bienvenues",
		"reminder.intro":       "Vous n'avez pas encore répondu au court questionnaire sur le cours {course}. Cela prend deux minutes.",
		"action":               "Répondre au questionnaire",
	},
	"es": {
		"satisfaction.subject": "¿Qué le pareció el curso {course}?",
		"satisfaction.intro":   "Enhorabuena por completar el curso {course}. Díganos en dos minutos qué le pareció: sus respuestas ayudan a mejorar el curso.",
		"follow_up.subject":    "{course}: ¿qué ha cambiado?",
		"follow_up.intro":      "Hace unos meses completó el curso {course}. Tres preguntas breves: ¿ha aplicado en su trabajo lo que aprendió?",
		"reminder.subject":     "Sus respuestas sobre el curso {course} siguen siendo bienvenidas",
		"reminder.intro":       "Todavía no ha respondido a la breve encuesta sobre el curso {course}. Solo le llevará dos minutos.",
		"action":               "Responder a la encuesta",
	},
	"ru": {
		"satisfaction.subject": "Как вам курс {course}?",
		"satisfaction.intro":   "Поздравляем с завершением курса {course}. Расскажите за две минуты, что вы о нём думаете: ваши ответы помогут улучшить курс.",
		"follow_up.subject":    "{course}: что изменилось?",
		"follow_up.intro":      "Несколько месяцев назад вы завершили курс {course}. Три коротких вопроса: применяете ли вы полученные знания на работе?",
		"reminder.subject":     "Мы по-прежнему ждём ваших ответов о курсе {course}",
		"reminder.intro":       "Вы ещё не ответили на короткий опрос о курсе {course}. Это займёт две минуты.",
		"action":               "Пройти опрос",
	},
	"ar": {
		"satisfaction.subject": "ما رأيك في دورة {course}؟",
		"satisfaction.intro":   "تهانينا على إكمال دورة {course}. أخبرنا في دقيقتين برأيك فيها: تساعد إجاباتك على تحسين الدورة.",
		"follow_up.subject":    "{course}: ما الذي تغيّر؟",
		"follow_up.intro":      "أكملت دورة {course} قبل بضعة أشهر. ثلاثة أسئلة قصيرة: هل طبّقت ما تعلمته في عملك؟",
		"reminder.subject":     "ما زلنا نرحب بإجاباتك عن دورة {course}",
		"reminder.intro":       "لم تُجب بعد عن الاستبيان القصير حول دورة {course}. يستغرق ذلك دقيقتين فقط.",
		"action":               "الإجابة عن الاستبيان",
	},
	"zh": {
		"satisfaction.subject": "您觉得课程“{course}”怎么样？",
		"satisfaction.intro":   "祝贺您完成课程“{course}”。请用两分钟告诉我们您的看法：您的回答有助于改进课程。",
		"follow_up.subject":    "课程“{course}”带来了哪些改变？",
		"follow_up.intro":      "几个月前您完成了课程“{course}”。三个简短的问题：您是否在工作中运用了所学内容？",
		"reminder.subject":     "我们仍然期待您对课程“{course}”的反馈",
		"reminder.intro":       "您尚未回答关于课程“{course}”的简短问卷，只需两分钟。",
		"action":               "填写问卷",
	},
}

func surveyTr(l, key, course string) string {
	s, ok := surveyCatalog[l][key]
	if !ok {
		s = surveyCatalog["en"][key]
	}
	return strings.ReplaceAll(s, "{course}", course)
}
