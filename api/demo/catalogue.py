"""What the demo's lectures and activities are called: templates by platform, series, festivals."""

from __future__ import annotations

from api.models.events import LectureFormat
from api.models.teams import TeamCategory

F = LectureFormat
C = TeamCategory

FORMAT_WORDS = {
    F.MICRO: "微宣讲", F.DRAMA: "戏剧宣讲", F.CLAPPER: "方言快板宣讲", F.RAP: "说唱宣讲",
    F.PARTY_CLASS: "微党课", F.REPORT: "专题报告会", F.DIALOGUE: "互动访谈", F.OTHER: "南音弹唱宣讲",
}
FORMAT_WEIGHTS = {
    F.MICRO: 5, F.PARTY_CLASS: 3, F.CLAPPER: 2, F.RAP: 1, F.DRAMA: 1, F.REPORT: 2, F.DIALOGUE: 2, F.OTHER: 1,
}
BIG_TOPICS = ("党的二十大精神", "党的二十届三中全会精神", "习近平新时代中国特色社会主义思想")

# The "六进" of lectures, keyed by the audience they reach.
SIX_INTO = {"党员干部": "机关", "村民群众": "农村", "中小学生": "学校", "企业职工": "企业", "社区居民": "社区", "渔民群众": "渔港"}

# Which team categories serve which platform (for choosing an activity's organising team).
PLATFORM_CATEGORIES: dict[str, tuple[TeamCategory, ...]] = {
    "THEORY": (C.THEORY, C.POLICY, C.VALUES),
    "EDUCATION": (C.ETIQUETTE, C.VALUES, C.OTHER),
    "CULTURE": (C.CULTURE_SPORTS, C.OTHER),
    "SCIENCE": (C.AGRI_TECH, C.SCIENCE_EMERGENCY, C.RESCUE, C.ENVIRONMENT),
    "FITNESS": (C.CULTURE_SPORTS,),
    "LAW": (C.LAW, C.POLICY),
    "HEALTH": (C.HEALTH, C.MEDICAL, C.PSYCHOLOGICAL, C.CONVENIENCE, C.ENVIRONMENT),
}
PLATFORM_WEIGHTS = {"CULTURE": 3, "EDUCATION": 2, "SCIENCE": 2, "FITNESS": 2, "LAW": 2, "HEALTH": 2, "THEORY": 1}

# (title template, fillers for {x}, audience); {place} is the site's village or street.
ACTIVITIES: dict[str, tuple[tuple[str, tuple[str, ...], str], ...]] = {
    "THEORY": (
        ("“红色故事汇”分享会", (), "党员群众"),
        ("主题党日：{x}", ("重温入党誓词", "参观红色教育基地", "学习身边榜样"), "党员"),
        ("{place}党史学习读书会", (), "党员群众"),
    ),
    "EDUCATION": (
        ("家门口的城乡少年宫·{x}课堂", ("书法", "国画", "剪纸", "南音", "科学实验", "围棋"), "少年儿童"),
        ("“学家庭教育 做智慧家长”家长课堂", (), "学生家长"),
        ("“童心绘童画 共抒爱国情”绘画活动", (), "少年儿童"),
        ("“小小志愿者”文明劝导实践", (), "少年儿童"),
        ("{place}留守儿童关爱志愿服务", (), "留守儿童"),
        ("家风家训进万家·{x}", ("好家风故事会", "晒家训评家风", "最美家庭分享"), "居民家庭"),
    ),
    "CULTURE": (
        ("送戏下乡·{x}专场演出", ("高甲戏", "梨园戏", "提线木偶戏", "歌仔戏", "南音"), "村民群众"),
        ("{place}农家书屋读书分享会", (), "村民群众"),
        ("“文化夜市”文艺展演", (), "居民群众"),
        ("{place}广场舞展演", (), "居民群众"),
        ("非遗进社区·{x}体验", ("提线木偶", "刻纸", "石雕", "瓷塑", "花灯制作"), "居民群众"),
        ("“乡村好声音”歌唱比赛", (), "村民群众"),
        ("乡村电影放映：{x}", ("《长津湖》", "《我和我的祖国》", "《柳浪村的故事》", "《中国医生》"), "村民群众"),
    ),
    "SCIENCE": (
        ("科普进{place}·{x}", ("防范电信网络诈骗", "防灾减灾知识", "食品安全", "垃圾分类", "防溺水安全"), "居民群众"),
        ("农技培训：{x}", ("茶叶病虫害绿色防控", "水稻机插秧技术", "果树修剪", "设施蔬菜栽培", "电商直播助农"), "种植户"),
        ("科普大篷车进校园", (), "中小学生"),
        ("应急救护知识培训", (), "居民群众"),
        ("青少年科技创新体验营", (), "青少年"),
    ),
    "FITNESS": (
        ("全民健身·{x}教学", ("太极拳", "八段锦", "广场舞", "健身气功"), "中老年人"),
        ("“村BA”篮球友谊赛", (), "村民群众"),
        ("{place}健步走活动", (), "居民群众"),
        ("老年门球邀请赛", (), "老年人"),
        ("国民体质监测进{place}", (), "居民群众"),
    ),
    "LAW": (
        ("“法律明白人”讲座：{x}", ("民法典与百姓生活", "婚姻家庭纠纷化解", "土地承包法规", "反家庭暴力法", "未成年人保护法"), "居民群众"),
        ("法律咨询进{place}", (), "居民群众"),
        ("人民调解志愿服务", (), "居民群众"),
        ("防范非法集资宣传", (), "居民群众"),
        ("宪法宣传进校园", (), "中小学生"),
    ),
    "HEALTH": (
        ("义诊进{place}", (), "老年人"),
        ("健康讲座：{x}", ("高血压防治", "糖尿病健康管理", "老年人防跌倒", "中医养生", "心理健康"), "居民群众"),
        ("家庭医生签约服务", (), "居民群众"),
        ("免费测血压血糖", (), "老年人"),
        ("无偿献血志愿服务", (), "居民群众"),
        ("“爱心义剪”进{place}", (), "老年人"),
    ),
}

# (title, platform, rule, (hour, minute), minutes, audience, where): where is a node group.
WEEKLY_SERIES = (
    ("每周六上午 为老人义务理发", "HEALTH", "FREQ=WEEKLY;BYDAY=SA", (9, 0), 120, "老年人", "station"),
    ("每周三晚 广场舞公益培训", "FITNESS", "FREQ=WEEKLY;BYDAY=WE", (19, 30), 90, "居民群众", "station"),
    ("每周日上午 家门口的城乡少年宫·书法班", "EDUCATION", "FREQ=WEEKLY;BYDAY=SU", (9, 30), 120, "少年儿童", "station"),
    ("每周二下午 南音传习", "CULTURE", "FREQ=WEEKLY;BYDAY=TU", (14, 30), 120, "南音爱好者", "institute"),
    ("每周五晚 农家书屋亲子阅读", "EDUCATION", "FREQ=WEEKLY;BYDAY=FR", (19, 30), 60, "亲子家庭", "station"),
    ("每周四上午 健康义诊", "HEALTH", "FREQ=WEEKLY;BYDAY=TH", (9, 0), 150, "老年人", "institute"),
    ("每周六下午 太极拳教学", "FITNESS", "FREQ=WEEKLY;BYDAY=SA", (15, 0), 90, "中老年人", "station"),
    ("每周一上午 “法律明白人”坐班咨询", "LAW", "FREQ=WEEKLY;BYDAY=MO", (9, 0), 180, "居民群众", "institute"),
    ("隔周二晚 “文化夜市”文艺展演", "CULTURE", "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", (19, 30), 120, "居民群众", "centre"),
    ("每周日下午 青少年科普小课堂", "SCIENCE", "FREQ=WEEKLY;BYDAY=SU", (14, 30), 90, "青少年", "sub"),
)
MONTHLY_SERIES = (
    ("每月15日 法律咨询日", "LAW", "FREQ=MONTHLY;BYMONTHDAY=15", (9, 0), 180, "居民群众", "institute"),
    ("每月第一个周六 科普大篷车进村", "SCIENCE", "FREQ=MONTHLY;BYDAY=1SA", (9, 30), 150, "村民群众", "station"),
    ("每月最后一个周五 理论学习读书会", "THEORY", "FREQ=MONTHLY;BYDAY=-1FR", (14, 30), 120, "党员群众", "institute"),
    ("每月10日 爱国卫生“清洁家园”行动", "HEALTH", "FREQ=MONTHLY;BYMONTHDAY=10", (8, 30), 120, "村民群众", "station"),
    ("每月20日 “爱心义剪”进敬老院", "HEALTH", "FREQ=MONTHLY;BYMONTHDAY=20", (9, 0), 120, "老年人", "institute"),
)
LECTURE_SERIES = (
    ("每周三晚 “田间党校”微党课", F.PARTY_CLASS, "FREQ=WEEKLY;BYDAY=WE", (19, 30), 60),
    ("每周四晚 “社区夜校”理论微课堂", F.MICRO, "FREQ=WEEKLY;BYDAY=TH", (19, 30), 60),
    ("每月第二个周六 “六进”宣讲日", F.MICRO, "FREQ=MONTHLY;BYDAY=2SA", (9, 30), 90),
)

# Festival activities: (title, platform, audience).
FESTIVAL_ACTIVITIES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "NEW_YEAR": (("元旦迎新健步走", "FITNESS", "居民群众"), ("“文明迎新年”文艺晚会", "CULTURE", "居民群众")),
    "SPRING": (
        ("写春联 送福字 迎新春", "CULTURE", "村民群众"), ("“我们的节日·春节”文艺汇演", "CULTURE", "居民群众"),
        ("新春走访慰问困难群众", "HEALTH", "困难群众"), ("“移风易俗过大年”倡议宣传", "THEORY", "村民群众"),
    ),
    "EVE": (("除夕团圆饭 暖心慰问空巢老人", "HEALTH", "老年人"), ("“守岁迎新”邻里联欢", "CULTURE", "居民群众")),
    "LANTERN": (("闹元宵 猜灯谜", "CULTURE", "居民群众"), ("元宵踩街民俗巡游", "CULTURE", "居民群众")),
    "LEIFENG": (
        ("学雷锋志愿服务集中行动", "EDUCATION", "居民群众"), ("“学雷锋”便民服务大集", "HEALTH", "居民群众"),
        ("“雷锋精神代代传”故事会", "EDUCATION", "中小学生"),
    ),
    "QINGMING": (("清明祭英烈 红色故事会", "THEORY", "青少年"), ("文明祭扫 绿色清明宣传", "LAW", "居民群众")),
    "DRAGON_BOAT": (("包粽子 话端午", "CULTURE", "居民群众"), ("端午龙舟竞渡", "FITNESS", "居民群众")),
    "QIXI": (("“七夕话家风”家庭美德宣讲", "THEORY", "青年"), ("婚事新办 移风易俗倡议", "LAW", "居民群众")),
    "MID_AUTUMN": (
        ("中秋博饼 邻里同乐", "CULTURE", "居民群众"), ("“月圆中秋”诗词诵读会", "EDUCATION", "青少年"),
        ("中秋走访慰问空巢老人", "HEALTH", "老年人"),
    ),
    "NATIONAL_DAY": (("“我和我的祖国”快闪活动", "CULTURE", "居民群众"), ("国庆升国旗仪式", "EDUCATION", "中小学生")),
    "DOUBLE_NINTH": (
        ("重阳敬老 义诊送温暖", "HEALTH", "老年人"), ("“爱心义剪”敬老服务", "HEALTH", "老年人"),
        ("重阳敬老文艺演出", "CULTURE", "老年人"),
    ),
    "VOLUNTEER_DAY": (("国际志愿者日 志愿者招募宣传", "EDUCATION", "居民群众"), ("优秀志愿者礼遇分享会", "THEORY", "志愿者")),
}
# Multi-day, all-day exhibitions during these festivals: (title, platform, days).
FESTIVAL_EXHIBITIONS = {
    "SPRING": ("新春民俗文化展", "CULTURE", 5),
    "LEIFENG": ("学雷锋志愿服务成果展", "EDUCATION", 3),
    "MID_AUTUMN": ("中秋博饼文化节", "CULTURE", 2),
    "NATIONAL_DAY": ("“奋进新时代”主题图片展", "THEORY", 7),
}
ACTIVITY_DAY_TITLES = (
    ("集中活动日·{place}环境整治志愿服务", "HEALTH", "村民群众"),
    ("集中活动日·文明交通劝导", "LAW", "居民群众"),
    ("集中活动日·{place}便民服务大集", "HEALTH", "居民群众"),
    ("集中活动日·“五分钟微文明”实践", "EDUCATION", "居民群众"),
)
CANCEL_REASONS = ("因台风天气，本次活动取消。", "因场地调整，本次活动取消，另行通知。", "因主讲老师临时有事，本次活动取消。")
