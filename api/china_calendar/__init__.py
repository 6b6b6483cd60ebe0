"""China's calendar: public holidays and make-up working days (holidays.py, a table an ADMIN
corrects), lunar dates, solar terms and festivals (lunar.py, from tyme4py), and the calendar
days that put them together with the campaigns running (days.py). See docs/calendar.md."""
