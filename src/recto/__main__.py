from recto.cli import app

app()
