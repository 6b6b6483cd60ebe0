"""The seven default service platforms (平台) as data: code, name, lead unit, description.

Five are common to every city (theory, education, culture, science, fitness); Tengzhou and
Shishi add law and health for seven. A deployment may rename, reorder or drop them.
"""

DEFAULT_PLATFORMS: tuple[dict[str, str], ...] = (
    {
        "code": "THEORY",
        "name": "理论宣讲",
        "lead_unit": "县委宣传部",
        "description": "宣传宣讲党的创新理论，组织新时代宣讲员深入基层开展“六进”宣讲。",
    },
    {
        "code": "EDUCATION",
        "name": "教育服务",
        "lead_unit": "县教育局",
        "description": "开展家庭教育、未成年人思想道德建设和城乡少年宫等教育服务。",
    },
    {
        "code": "CULTURE",
        "name": "文化服务",
        "lead_unit": "县文旅局",
        "description": "送戏下乡、非遗传承、农家书屋阅读等公共文化服务。",
    },
    {
        "code": "SCIENCE",
        "name": "科技与科普服务",
        "lead_unit": "县科协",
        "description": "农业技术培训、科普大篷车、防灾减灾与应急科普。",
    },
    {
        "code": "FITNESS",
        "name": "健身体育服务",
        "lead_unit": "县体育局",
        "description": "全民健身指导、群众体育赛事和健身设施服务。",
    },
    {
        "code": "LAW",
        "name": "法律法规",
        "lead_unit": "县司法局",
        "description": "普法宣传、法律咨询、人民调解和“法律明白人”培养。",
    },
    {
        "code": "HEALTH",
        "name": "卫生健康",
        "lead_unit": "县卫健局",
        "description": "义诊、健康讲座、家庭医生签约和心理健康服务。",
    },
)
