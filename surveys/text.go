package surveys

// questionText is each question's text by language.
var questionText = map[string]map[string]string{
	"en": {
		"overall":          "Overall, how satisfied are you with the course? (1 = not at all, 5 = very)",
		"relevance":        "How useful is what you learned for your work or daily life? (1 = not at all, 5 = very)",
		"recommend":        "Would you recommend the course to a colleague or friend?",
		"applied":          "Have you applied what you learned in your work?",
		"changed_practice": "Have you changed a practice (yours or your organisation's) because of the course?",
		"new_role":         "Have you taken on a new role or responsibility related to what you learned?",
		"comment":          "Anything else you would like to tell us? (optional)",
	},
	"fr": {
		"overall":          "Dans l'ensemble, êtes-vous satisfait(e) du cours ? (1 = pas du tout, 5 = très)",
		"relevance":        "Ce que vous avez appris est-il utile pour votre travail ou votre vie quotidienne ? (1 = pas du tout, 5 = très)",
		"recommend":        "Recommanderiez-vous ce cours à un collègue ou à un ami ?",
		"applied":          "Avez-vous mis en pratique dans votre travail ce que vous avez appris ?",
		"changed_practice": "Avez-vous changé une pratique (la vôtre ou celle de votre organisation) grâce au cours ?",
		"new_role":         "Avez-vous pris un nouveau rôle ou une nouvelle responsabilité liés à ce que vous avez appris ?",
		"comment":          "Souhaitez-vous ajouter quelque chose ? (facultatif)",
	},
	"es": {
		"overall":          "En general, ¿qué tan satisfecho/a está con el curso? (1 = nada, 5 = mucho)",
		"relevance":        "¿Qué tan útil es lo que aprendió para su trabajo o su vida diaria? (1 = nada, 5 = mucho)",
		"recommend":        "¿Recomendaría el curso a un colega o a un amigo?",
		"applied":          "¿Ha aplicado en su trabajo lo que aprendió?",
		"changed_practice": "¿Ha cambiado alguna práctica (suya o de su organización) gracias al curso?",
		"new_role":         "¿Ha asumido una nueva función o responsabilidad relacionada con lo que aprendió?",
		"comment":          "¿Desea añadir algo más? (opcional)",
	},
	"ru": {
		"overall":          "Насколько вы в целом довольны курсом? (1 — совсем нет, 5 — очень)",
		"relevance":        "Насколько полезно то, чему вы научились, для вашей работы или повседневной жизни? (1 — совсем нет, 5 — очень)",
		"recommend":        "Порекомендовали бы вы этот курс коллеге или другу?",
		"applied":          "Применили ли вы полученные знания в своей работе?",
		"changed_practice": "Изменили ли вы какую-либо практику (свою или своей организации) благодаря курсу?",
		"new_role":         "Взяли ли вы на себя новую роль или обязанности, связанные с тем, чему научились?",
		"comment":          "Хотите ли вы что-нибудь добавить? (необязательно)",
	},
	"ar": {
		"overall":          "ما مدى رضاك عن الدورة بشكل عام؟ (1 = غير راضٍ إطلاقًا، 5 = راضٍ جدًا)",
		"relevance":        "ما مدى فائدة ما تعلمته لعملك أو لحياتك اليومية؟ (1 = غير مفيد إطلاقًا، 5 = مفيد جدًا)",
		"recommend":        "هل توصي زميلًا أو صديقًا بهذه الدورة؟",
		"applied":          "هل طبّقت ما تعلمته في عملك؟",
		"changed_practice": "هل غيّرت ممارسة ما (ممارستك أو ممارسة مؤسستك) بفضل الدورة؟",
		"new_role":         "هل توليت دورًا أو مسؤولية جديدة تتعلق بما تعلمته؟",
		"comment":          "هل تود إضافة أي شيء آخر؟ (اختياري)",
	},
	"zh": {
		"overall":          "总体而言，您对本课程的满意程度如何？（1 = 完全不满意，5 = 非常满意）",
		"relevance":        "您所学的内容对您的工作或日常生活有多大用处？（1 = 完全没用，5 = 非常有用）",
		"recommend":        "您会向同事或朋友推荐本课程吗？",
		"applied":          "您是否在工作中运用了所学内容？",
		"changed_practice": "您是否因本课程改变了某种做法（您自己的或您所在机构的）？",
		"new_role":         "您是否承担了与所学内容相关的新角色或新职责？",
		"comment":          "您还有其他想告诉我们的吗？（选填）",
	},
}
