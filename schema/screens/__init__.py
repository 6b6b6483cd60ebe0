"""What screens show: kiosk boards, figures (stats) and live occurrence updates."""
