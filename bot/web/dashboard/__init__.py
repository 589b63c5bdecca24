"""The clinic dashboard: server-rendered pages for clinic staff, signed in from the bot."""

from bot.web.dashboard.app import DashboardServices, build_dashboard

__all__ = ["DashboardServices", "build_dashboard"]
