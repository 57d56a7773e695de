"""The default questionnaires, one per touchpoint (SUR-1), installed by a data migration.

The questions are the group's own words (Chinese), as in its yearly survey: the sales-service
questionnaire carries the ten indicators of seed 000. Each ends with the overall
satisfaction, the two loyalty questions (buy again, recommend), the 1–10 likelihood to
recommend (NPS) and a free comment, so every touchpoint yields the same figures (SUR-3).
Plain data only: the migration reads it with the historical models.
"""

SCALE_5, SCALE_10, YES_NO, TEXT = "scale5", "scale10", "yes_no", "text"

# (text, kind, measure)
_CLOSING = [
    ("总体而言，您对我们这方面的服务满意吗？", SCALE_5, "satisfaction"),
    ("如果再次购房，您还会选择我们吗？", YES_NO, "buy_again"),
    ("您会向亲友推荐我们的楼盘吗？", YES_NO, "recommend"),
    ("您向亲友推荐我们的可能性有多大？（1 分最低，10 分最高）", SCALE_10, "nps"),
    ("您还有什么意见或建议？", TEXT, ""),
]

# Seed 000, 销售服务指标, in its order.
SALES_INDICATORS = [
    "签约后我们对您的持续关心和关注",
    "销售人员态度友善，待人亲切",
    "销售人员总体满意度",
    "在整个买房过程中，您感觉我们是值得信任的",
    "销售现场布置舒适，管理有序",
    "销售人员熟悉房屋产品特征，讲解详细全面",
    "签约、付款、按揭等购房手续规范、便捷",
    "销售人员帮助您更好地了解房屋的布局和特点",
    "针对您的购房需求，提供了合理的建议",
    "为您提供了足够的楼盘及周边信息",
]

_INDICATORS = {
    "design": [
        "小区整体规划与景观",
        "户型设计的合理性",
        "公共配套（会所、车位、商业）",
        "交房标准与样板房一致",
    ],
    "engineering": [
        "房屋结构与墙面、地面质量",
        "门窗的质量与密封",
        "防水（屋面、卫生间、外墙）",
        "水电设备的质量",
    ],
    "repair": [
        "报修渠道方便",
        "维修人员按约定时间上门",
        "维修质量，一次修好",
        "维修人员的态度与现场清洁",
    ],
    "property": [
        "小区安全与秩序",
        "清洁卫生与绿化养护",
        "管家服务的及时与热情",
        "收费透明合理",
    ],
    "complaint": [
        "投诉受理及时",
        "处理进度有人告知",
        "处理结果解决了您的问题",
        "处理人员的态度",
    ],
}

INTERNAL = [
    ("您清楚自己的工作目标和要求", SCALE_5, "indicator"),
    ("您的工作得到了应有的认可", SCALE_5, "indicator"),
    ("您有机会学习和成长", SCALE_5, "indicator"),
    ("部门之间的协作顺畅", SCALE_5, "indicator"),
    ("总体而言，您对在公司工作满意吗？", SCALE_5, "satisfaction"),
    ("您会向朋友推荐到我们公司工作吗？（1 分最低，10 分最高）", SCALE_10, "nps"),
    ("您对公司有什么意见或建议？", TEXT, ""),
]

NAMES = {
    "sales": "销售服务满意度调查",
    "design": "规划设计满意度调查",
    "engineering": "工程质量满意度调查",
    "repair": "维修服务满意度调查",
    "property": "物业管理满意度调查",
    "complaint": "投诉处理满意度调查",
    "internal": "员工满意度调查",
}


def questions_for(touchpoint: str) -> list[tuple[str, str, str]]:
    """The default questionnaire of a touchpoint: (text, kind, measure) in order."""
    if touchpoint == "internal":
        return list(INTERNAL)
    indicators = SALES_INDICATORS if touchpoint == "sales" else _INDICATORS[touchpoint]
    return [(text, SCALE_5, "indicator") for text in indicators] + _CLOSING


def install(SurveyTemplate, SurveyQuestion) -> None:
    """Create the first version of every touchpoint's questionnaire that has none yet."""
    for touchpoint, name in NAMES.items():
        if SurveyTemplate.objects.filter(touchpoint=touchpoint).exists():
            continue
        template = SurveyTemplate.objects.create(touchpoint=touchpoint, name=name, version=1)
        SurveyQuestion.objects.bulk_create(
            SurveyQuestion(
                template=template,
                position=n,
                text=text,
                kind=kind,
                measure=measure,
                required=kind != TEXT,
            )
            for n, (text, kind, measure) in enumerate(questions_for(touchpoint), start=1)
        )
