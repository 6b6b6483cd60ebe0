"""China's calendar (节假日, 调休, 农历, 节气, 节日): calendar days, the holiday table and its corrections."""
