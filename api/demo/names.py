"""Word pools and name generators for the demo network (all text in Chinese).

The city, 温陵市, is fictional (温陵 is an old name of Quanzhou); its districts, townships,
villages, teams and people are modelled on the news reports in shared/seeds/.
Every choice goes through the caller's ``random.Random``: nothing here reads the clock.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

CITY = "温陵市"
CITY_CODE = "3599"  # province 35 (Fujian) + a city number no real city uses

CN_NUMERALS = "一二三四五六七八九十"

# The province demo (`wenming demo --province`): a fictional province of cities named after old
# names of Fujian's cities; 温陵市 comes first, so its first district is the city demo's.
PROVINCE = "闽海省"
PROVINCE_CODE = "350000"
CITIES = ("温陵市", "三山市", "鹭门市", "清漳市", "莆阳市", "汀州市", "延平市", "建宁市", "福宁市", "桐江市",
          "霞浦市", "梅林市", "龙津市", "凤山市", "南溪市", "玉屏市")


@dataclass(frozen=True)
class District:
    name: str  # 鲤城区
    urban: bool  # streets and communities rather than towns and villages
    coastal: bool  # fishing boats, fishermen, "海上船声筒"
    townships: tuple[str, ...] = ()  # preferred township names, used before generated ones


DISTRICTS: tuple[District, ...] = (
    District("鲤城区", True, False, ("开元街道", "鲤中街道", "海滨街道", "临江街道", "江南街道", "金龙街道", "常泰街道", "浮桥街道")),
    District("丰泽区", True, True, ("东湖街道", "丰泽街道", "泉秀街道", "清源街道", "华大街道", "城东街道", "东海街道", "北峰街道")),
    District("洛江区", False, False, ("万安街道", "双阳街道", "河市镇", "马甲镇", "罗溪镇", "虹山乡", "紫泽镇", "洛阳镇")),
    District("泉港区", False, True, ("山腰街道", "南埔镇", "界山镇", "后龙镇", "峰尾镇", "前黄镇", "涂岭镇", "祥芝镇")),
    District("石狮市", True, True, ("湖滨街道", "凤里街道", "宝盖镇", "鸿山镇", "蚶江镇", "永宁镇", "灵秀镇")),
    District("长泰区", False, False, ("武安镇", "岩溪镇", "陈巷镇", "枋洋镇", "坂里乡")),
    District("惠安县", False, True),
    District("安溪县", False, False),
    District("永春县", False, False),
    District("德化县", False, False),
    District("清源区", True, False),
    District("桃源县", False, False),
    District("梅溪县", False, False),
    District("海湾区", True, True),
)

PLACE_FIRST = "洛马河罗双万虹溪龙凤石梅桃枫岩泉清南东西北金玉青白安福宝鸿祥永灵湖港峰前后山仙莲竹松霞"
PLACE_SECOND = "阳甲市溪山安塘口头田坑埔林美尾岭江浦里厝洋峰湖桥亭坂沙园井港堡洲"
KNOWN_VILLAGES = ("团结村", "东埔三村", "郑厝村", "钞坑村", "厝仔村", "珪后村", "林溪村", "丹岩村", "庙岭村")

SURNAMES = "陈林黄张李王吴刘蔡杨郑许洪庄苏曾施柯周谢何邱叶郭赵孙朱高潘方康卢颜傅"
GIVEN = "志伟建国明华秀英丽芳文杰俊峰海燕玉梅丽娟淑贞清泉振兴德福金水春花宏达婷婷晓东思远雅琴家豪国强美玲秋菊瑞祥"
PHONE_PREFIXES = ("135", "136", "137", "138", "139", "150", "151", "152", "158", "159", "188", "189", "177")

# Lecture teams named in the reports, then more in the same style.
LECTURE_TEAM_NAMES = (
    "“洛地有声”宣讲团", "“溪阳红”宣讲队", "红色讲师团", "“海上船声筒”宣讲团", "“声动狮城”大讲堂",
    "“龙津大讲堂”文化使者", "乡村讲师团", "“红枫”宣讲队", "“春晖”宣讲队", "“鸿雁”宣讲队",
    "“志愿红”宣讲团", "“田间党校”宣讲队", "“古厝乡音”宣讲队", "“南音新唱”宣讲队", "“老兵说”宣讲团",
    "“巾帼心向党”宣讲队", "“青春说”宣讲队", "“乡贤话振兴”宣讲团",
)

# (suffix, category, label for OTHER) for detachments under each corps.
THEMATIC_DETACHMENTS = (
    ("党员志愿服务支队", "OTHER", "党员先锋"),
    ("青年志愿服务支队", "OTHER", "青年"),
    ("巾帼志愿服务支队", "OTHER", "巾帼"),
)
CATEGORY_DETACHMENTS = (
    ("科学理论宣讲志愿服务支队", "THEORY"),
    ("政策宣讲解读志愿服务支队", "POLICY"),
    ("主流价值志愿服务支队", "VALUES"),
    ("文化体育志愿服务支队", "CULTURE_SPORTS"),
    ("法律服务志愿服务支队", "LAW"),
    ("农业技术志愿服务支队", "AGRI_TECH"),
    ("健康生活志愿服务支队", "HEALTH"),
    ("乡村环境志愿服务支队", "ENVIRONMENT"),
    ("文明礼仪志愿服务支队", "ETIQUETTE"),
    ("便民服务志愿服务支队", "CONVENIENCE"),
)
EMERGENCY_DETACHMENTS = (
    ("应急救援志愿服务支队", "RESCUE"),
    ("医疗救护志愿服务支队", "MEDICAL"),
    ("科普应急志愿服务支队", "SCIENCE_EMERGENCY"),
    ("心理服务志愿服务支队", "PSYCHOLOGICAL"),
)
# (name suffix, category, label) for township squads.
SQUADS = (
    ("文艺小队", "CULTURE_SPORTS", ""),
    ("法律明白人小队", "LAW", ""),
    ("农技服务小队", "AGRI_TECH", ""),
    ("爱心义剪小队", "CONVENIENCE", ""),
    ("健康义诊小队", "HEALTH", ""),
    ("环境整治小队", "ENVIRONMENT", ""),
    ("移风易俗劝导小队", "ETIQUETTE", ""),
    ("政策宣讲小队", "POLICY", ""),
    ("乡贤文化小队", "OTHER", "乡贤"),
    ("“小小志愿者”小队", "OTHER", "少年儿童"),
    ("“青春飞扬”服务小队", "OTHER", "青年"),
)
VILLAGE_TEAM_CATEGORIES = ("CONVENIENCE", "ENVIRONMENT", "ETIQUETTE", "CULTURE_SPORTS", "HEALTH", "VALUES")

TOPICS = (
    "党的二十大精神", "党的二十届三中全会精神", "习近平新时代中国特色社会主义思想", "乡村振兴",
    "社会主义核心价值观", "移风易俗", "生态文明建设", "民法典", "防范电信网络诈骗", "党史学习教育",
    "中华优秀传统文化", "家风家训", "安全生产", "共同富裕", "爱国主义教育", "总体国家安全观",
    "平安建设", "文明城市创建",
)
COASTAL_TOPICS = ("海洋强国", "渔业安全生产", "海上平安")

LECTURER_ROLES = (
    "{town}党委宣传委员", "{district}委党校讲师", "{village}党支部书记", "退休教师", "乡贤",
    "“中国好人”", "返乡大学生", "南音非遗传承人", "退役军人", "社区网格员", "驻村第一书记",
)
LECTURER_STYLES = (
    "用闽南方言讲政策", "把大道理讲成“家常话”", "以快板说唱宣讲党的创新理论", "结合身边人身边事宣讲",
    "在田间地头开讲“微党课”", "以戏剧小品演绎政策", "面向青少年讲好红色故事",
)


class Namer:
    """Names, phones and numbers drawn from one seeded ``random.Random``."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._used_places: set[str] = set()
        self._phones: set[str] = set()

    def person(self) -> str:
        given = self.rng.choice(GIVEN) + (self.rng.choice(GIVEN) if self.rng.random() < 0.8 else "")
        return self.rng.choice(SURNAMES) + given

    def phone(self) -> str:
        while True:
            number = self.rng.choice(PHONE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if number not in self._phones:
                self._phones.add(number)
                return number

    def place(self, suffix: str, preferred: tuple[str, ...] = ()) -> str:
        """A new place name ending in ``suffix`` (镇, 街道, 村, 社区), unique across the network."""
        for name in preferred:
            if name not in self._used_places:
                self._used_places.add(name)
                return name
        for attempt in range(60):
            stem = self.rng.choice(PLACE_FIRST) + self.rng.choice(PLACE_SECOND)
            if attempt > 30:  # a big network runs out of two-character stems
                stem += self.rng.choice(PLACE_SECOND)
            name = stem + suffix
            if name not in self._used_places:
                self._used_places.add(name)
                return name
        return name  # unique-ish is enough for a demo

    def district(self, index: int) -> District:
        """The index-th district; past the pool, names repeat with a number (鲤城二区)."""
        base = DISTRICTS[index % len(DISTRICTS)]
        cycle = index // len(DISTRICTS)
        if cycle == 0:
            return base
        numeral = CN_NUMERALS[cycle % 10] if cycle < 10 else str(cycle + 1)
        return District(base.name[:-1] + numeral + base.name[-1], base.urban, base.coastal)
