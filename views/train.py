"""Page script for st.navigation (see app.py); the page itself lives in components.pages.train."""

from components.pages import train as train_page

train_page.render()
