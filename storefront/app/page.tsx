export default function HomePage() {
  return (
    <main>
      <h1>Tally</h1>
    </main>
  );
}
