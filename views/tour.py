"""Page script for st.navigation (see app.py); the page itself lives in components.pages.tour."""

from components.pages import tour as tour_page

tour_page.render()
